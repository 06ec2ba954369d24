// openapi-typescript's declarations of each contract, for the tests to compare with shopgen's.
//
//   node reference_types.mjs CONTRACT OUTPUT [CONTRACT OUTPUT ...]
//
// `defaultNonNullable: false` reads the schema literally, as shopgen does: a property with a
// `default` is optional unless `required` lists it.

import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const ast = await openapiTS(pathToFileURL(resolve(args[i])), { defaultNonNullable: false });
  writeFileSync(args[i + 1], astToString(ast));
}
