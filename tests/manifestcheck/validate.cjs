// Validates JSON documents against a Teams schema with ajv-draft-04, the validator Microsoft's
// @microsoft/app-manifest uses: a second opinion next to Python's jsonschema.
// Usage: node validate.cjs SCHEMA DOCUMENT...; prints one JSON line per document:
// {"file": ..., "valid": true|false, "errors": ["/path message", ...]}.
const fs = require("fs");
const Ajv = require("ajv-draft-04");
const addFormats = require("ajv-formats");

const [schemaPath, ...documents] = process.argv.slice(2);
// unicodeRegExp off: the localization schema has a pattern that is invalid with the u flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
for (const file of documents) {
  const valid = validate(JSON.parse(fs.readFileSync(file, "utf8")));
  const errors = (validate.errors || []).map((e) => `${e.instancePath} ${e.message}`);
  console.log(JSON.stringify({ file, valid, errors }));
}
