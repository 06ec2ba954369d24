// The web and H5 transport: `fetch`, available in browsers and Node 18+.
import type { Transport } from "./runtime.js";

export declare function fetchTransport(fetchImpl?: typeof fetch): Transport;
