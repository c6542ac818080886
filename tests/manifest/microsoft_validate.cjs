// Validates an app package's files with Microsoft's own code: @microsoft/app-manifest's
// AppManifestUtils, the validation the Microsoft 365 Agents Toolkit (atk/teamsapp validate) runs.
// manifest.json is read with readAndValidateTeamsManifest (typed read, then the schema its
// $schema names); a localization file is validated with validateAgainstSchema against the
// schema its $schema names. Both schemas are loaded from the package's own json-schemas folder;
// this script refuses to run rather than let the package fetch one from the network.
//
// Usage: node microsoft_validate.cjs FILE...; prints one JSON line per file:
// {"file": ..., "valid": true|false, "errors": ["/path message. Details: ...", ...]}.
// "valid" is false with the reader's message when the typed read refuses the manifest (it
// throws on a missing required property), and null when the package can't compile the schema
// at all: ajv with its default unicode regular expressions rejects a pattern of the v1.30
// Localization schema ("Lone quantifier brackets"), so Microsoft's code cannot validate
// localization files; tests/manifestcheck/validate.cjs does, with the same ajv and that flag off.
//
// @microsoft/app-manifest 1.1.2 requires fs-extra without declaring it as a dependency, and
// Läget's dev tooling doesn't install it: the few fs-extra calls the package makes
// (pathExists, readFile, writeFile) are served by Node's fs here, nothing else is replaced.
const fs = require("fs");
const path = require("path");
const Module = require("module");

const fsExtra = {
  pathExists: async (p) => fs.existsSync(p),
  readFile: fs.promises.readFile,
  writeFile: fs.promises.writeFile,
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "fs-extra" ? fsExtra : load.call(this, request, ...rest);
};
const { AppManifestUtils } = require("@microsoft/app-manifest");
Module._load = load;

const packageDir = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));

function localSchema(url) {
  const suffix = AppManifestUtils.getLocalSchemaSuffix(url || "");
  const file = suffix && path.join(packageDir, "build", suffix);
  if (!file || !fs.existsSync(file)) {
    throw new Error(`no local copy of the schema ${url} in @microsoft/app-manifest`);
  }
  return file;
}

async function main() {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    localSchema(json.$schema);
    let result;
    if (json.manifestVersion !== undefined) {
      try {
        const [, errors] = await AppManifestUtils.readAndValidateTeamsManifest(file);
        result = { valid: errors.length === 0, errors };
      } catch (error) {
        result = { valid: false, errors: [String(error.message)] };
      }
    } else {
      try {
        const errors = await AppManifestUtils.validateAgainstSchema(json);
        result = { valid: errors.length === 0, errors };
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        result = { valid: null, errors: [`the schema does not compile: ${error.message}`] };
      }
    }
    failed = failed || result.valid === false;
    console.log(JSON.stringify({ file, ...result }));
  }
  return failed;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (error) => {
    console.error(String(error && error.stack ? error.stack : error));
    process.exit(2);
  },
);
