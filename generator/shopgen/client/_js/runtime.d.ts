// The request pipeline every generated shop client shares: envelope, tokens, retries.

/** A pair of tokens as the service issues them. */
export interface TokenPair {
    access_token: string;
    refresh_token: string;
    [field: string]: unknown;
}

/** Where the client keeps its tokens: memory, `wx` storage, or your own. */
export interface TokenStore {
    get(): TokenPair | null | Promise<TokenPair | null>;
    set(pair: TokenPair | null): void | Promise<void>;
}

/** One HTTP exchange, as a transport sends it. */
export interface TransportRequest {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs?: number;
}

/** What came back: header names lower-cased, the body as text. */
export interface TransportResponse {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** Sends one request: `wx.request` in a mini-program, `fetch` on the web, or a test double. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** How an operation is called, read from the contract. */
export interface OperationSpec {
    operationId: string;
    method: string;
    path: string;
    /** Needs a bearer token. */
    secured: boolean;
    /** A required idempotency header the client fills in when the caller does not. */
    idempotencyHeader?: string;
    /** Answers a token pair that the client keeps. */
    issuesTokens?: boolean;
}

export interface RequestArgs {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    header?: Record<string, unknown>;
    body?: unknown;
}

export interface RequestOptions {
    /** Extra headers for this call only. */
    headers?: Record<string, string>;
    /** Milliseconds before the call gives up (status 0). */
    timeoutMs?: number;
}

export interface RetryOptions {
    /** Retries of a 429 or 503 that says when to come back (`Retry-After`); default 2. */
    attempts?: number;
    /** The longest `Retry-After` waited for, in milliseconds; a longer one fails at once. Default 10000. */
    maxDelayMs?: number;
}

export interface CoreOptions {
    baseUrl: string;
    transport: Transport;
    tokens?: TokenStore;
    /** Called once a refresh fails and the user must sign in again. */
    onAuthRequired?: (error: ShopApiError) => void | Promise<void>;
    retry?: RetryOptions;
    timeoutMs?: number;
    headers?: Record<string, string>;
    /** How to wait before a retry (tests pass their own). */
    sleep?: (ms: number) => Promise<void>;
    /** The operation that spends a refresh token for a new pair, if the contract has one. */
    refresh?: OperationSpec;
}

/** The `{code, data, msg}` envelope of an error, with the HTTP status it came with. */
export declare class ShopApiError extends Error {
    readonly code: number;
    readonly msg: string;
    readonly status: number;
    readonly data: unknown;
    readonly operationId: string;
    /** Seconds the server asked to wait (`Retry-After`), when it did. */
    readonly retryAfter: number | undefined;
    constructor(init: {
        code: number;
        msg: string;
        status: number;
        data?: unknown;
        operationId: string;
        retryAfter?: number;
    });
}

export interface Core {
    /** Resolves to the answer's `data` (typed by the generated client), or throws `ShopApiError`. */
    call<T = unknown>(operation: OperationSpec, args?: RequestArgs, options?: RequestOptions): Promise<T>;
    readonly tokens: TokenStore;
}

export declare function createCore(options: CoreOptions): Core;
export declare function memoryTokenStore(initial?: TokenPair | null): TokenStore;
export declare function newIdempotencyKey(): string;
