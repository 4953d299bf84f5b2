// The JSON schemas of the MCP revisions as the conformance runner
// 0.2.0-alpha (tests/era/node_modules) bundles them, with the function its
// `wire-schema-valid` check applies to every message: nothing copied.
// The runner is a command-line program that publishes no module API, so
// its bundle is loaded through a load hook that leaves its code as it is
// but for the last statement: instead of parsing the command line, it
// exports the validator and the table of schemas.
//
//   import { wireErrors } from './wire_schema.mjs';
//   wireErrors('2026-07-28', message, 'server/discover') -> [] or the
//   runner's own words for each violation
import { registerHooks } from 'node:module';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkgDir = require
  .resolve('@modelcontextprotocol/conformance/package.json')
  .replace(/package\.json$/, '');
const entry = new URL(`file://${pkgDir}dist/index.js`).href;
const version = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')).version;

// The bundle's own names for what we need, found by their shape (the
// minifier names them; the shapes are the check's code):
//   function V(e,t,n){let r=S(e),i=(e,t)=>{let n=r.validatorFor(e) ...
//   const T={"2025-03-26":..,"2025-06-18":..,"2025-11-25":..,[A]:..}
//   P.parse();export{};   (the command line)
function rewrite(src) {
  const v = /function ([\w$]+)\(e,t,n\)\{let r=([\w$]+)\(e\),i=\(e,t\)=>\{let n=r\.validatorFor\(e\)/.exec(src);
  const tab = /const ([\w$]+)=\{"2025-03-26":[\w$]+,"2025-06-18":[\w$]+,"2025-11-25":[\w$]+,\[[\w$]+\]:[\w$]+\}/.exec(src);
  const tail = /([\w$]+)\.parse\(\);export\{\};\s*$/.exec(src);
  if (!v || !tab || !tail)
    throw new Error(`conformance ${version}: the wire-schema validator was not found in dist/index.js ` +
      `(validator ${!!v}, schema table ${!!tab}, command line ${!!tail})`);
  // the last operand of a comma expression: left as a no-op
  return src.slice(0, tail.index) +
    `0;export{${v[1]} as wireErrors,${v[2]} as wireSchemas,${tab[1]} as wireTable};\n`;
}

registerHooks({
  load(url, context, nextLoad) {
    const r = nextLoad(url, context);
    if (url !== entry) return r;
    const src = typeof r.source === 'string' ? r.source : Buffer.from(r.source).toString('utf8');
    return { ...r, format: 'module', source: rewrite(src.replace(/^#!.*\n/, '\n')) };
  },
});

const m = await import(entry);
export const conformanceVersion = version;
/** The runner's words for each way MSG breaks the schema of REVISION
 * (METHOD: the request it answers, for a result), [] when it is valid. */
export const wireErrors = m.wireErrors;
/** The schema of REVISION, as { defs, ... } */
export const wireSchemas = m.wireSchemas;
export const wireRevisions = Object.keys(m.wireTable);
