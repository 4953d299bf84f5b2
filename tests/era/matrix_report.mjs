// matrix_report.mjs: the report of tests/era/matrix.sh. Reads the conformance runner's
// output directories (one checks.json per scenario) of each run, directly against an
// upstream and through an mcpgw route, and writes markdown: the table (pairing, route kind,
// transport, direct passed/failed, through mcpgw passed/failed), then per route every check
// that passes directly and not through mcpgw, and every check that fails in both, each with
// the runner's own words (errorMessage).
//
//   node matrix_report.mjs WORKDIR HEADER-FILE > report.md
//
// WORKDIR/rows.tsv has one row per measured pair, tab-separated:
//   id  pairing  kind  transport  upstream  route  rev  control-run  through-run  note
// where a run is the name of a runner output: WORKDIR/RUN (the -o directory) and
// WORKDIR/RUN.txt (its standard output). HEADER-FILE is markdown printed first.
// It also writes WORKDIR/gaps.txt: one line "id<TAB>scenario<TAB>check" per check that
// passes directly and not through mcpgw (what tests/integration/conformance_matrix.sh
// compares with its expected list).

import fs from 'node:fs';
import path from 'node:path';

const [workdir, headerFile] = process.argv.slice(2);
if (!workdir || !headerFile) {
    console.error('usage: node matrix_report.mjs WORKDIR HEADER-FILE');
    process.exit(2);
}

// A run: its checks keyed "scenario\tcheck-id#n" (n counts repeats of one id in a
// scenario), its unscored scenarios, and the runner's own Total line.
function readRun(run) {
    const dir = path.join(workdir, run);
    const txt = fs.existsSync(`${dir}.txt`) ? fs.readFileSync(`${dir}.txt`, 'utf8') : '';
    const checks = new Map();
    const scenarios = new Set();
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
        const m = /^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d+Z$/.exec(d);
        const file = path.join(dir, d, 'checks.json');
        if (!m || !fs.existsSync(file)) continue;
        const scenario = m[1];
        scenarios.add(scenario);
        const seen = {};
        for (const c of JSON.parse(fs.readFileSync(file, 'utf8'))) {
            seen[c.id] = (seen[c.id] ?? 0) + 1;
            checks.set(`${scenario}\t${c.id}#${seen[c.id]}`, c);
        }
    }
    // a scenario the runner could not run counts as one failed check
    for (const m of txt.matchAll(/^Failed to run scenario (\S+): (.*)$/gm)) {
        scenarios.add(m[1]);
        checks.set(`${m[1]}\t(scenario did not run)#1`, { status: 'FAILURE', errorMessage: `Failed to run scenario ${m[1]}: ${m[2]}` });
    }
    const unscored = new Set();
    const notScored = txt.indexOf('Not scored for');
    if (notScored >= 0) {
        for (const m of txt.slice(notScored).matchAll(/^\s+[✓✗] (\S+) \(/gmu)) unscored.add(m[1]);
    }
    const total = /Total: (\d+) passed, (\d+) failed/.exec(txt);
    let passed = 0;
    let failed = 0;
    for (const c of checks.values()) {
        if (c.status === 'SUCCESS') passed++;
        else if (c.status === 'FAILURE') failed++;
    }
    return { run, checks, scenarios, unscored, passed, failed, total: total ? `${total[1]}/${total[2]}` : null, txt };
}

const runs = new Map();
const run = name => {
    if (!runs.has(name)) runs.set(name, readRun(name));
    return runs.get(name);
};

const rows = fs
    .readFileSync(path.join(workdir, 'rows.tsv'), 'utf8')
    .split('\n')
    .filter(l => l && !l.startsWith('#'))
    .map(l => {
        const [id, pairing, kind, transport, upstream, route, rev, control, through, note] = l.split('\t');
        return { id, pairing, kind, transport, upstream, route, rev, control, through, note: note ?? '' };
    });

const key = k => k.replace(/#1$/, '').replace('\t', ' / ');
const words = c => (c ? (c.errorMessage ?? c.description ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 400) : '');
const scored = (r, scenario) => (r.unscored.has(scenario) ? ' (not scored)' : '');

// The comparison of one row: lost (passes directly, not through), both (fails in both).
function compare(row) {
    const d = run(row.control);
    const t = run(row.through);
    const lost = [];
    const both = [];
    const gained = [];
    const keys = new Set([...d.checks.keys(), ...t.checks.keys()]);
    for (const k of [...keys].sort()) {
        const dc = d.checks.get(k);
        const tc = t.checks.get(k);
        const scenario = k.split('\t')[0];
        if (dc?.status === 'SUCCESS' && tc?.status !== 'SUCCESS') lost.push({ k, scenario, dc, tc });
        else if (dc?.status === 'FAILURE' && tc?.status === 'FAILURE') both.push({ k, scenario, dc, tc });
        else if (dc?.status === 'FAILURE' && tc?.status === 'SUCCESS') gained.push({ k, scenario, dc, tc });
    }
    return { d, t, lost, both, gained };
}

// What the report counts must be what the runner printed (its Total line).
const counted = r => {
    const mine = `${r.passed} / ${r.failed}`;
    if (r.total === `${r.passed}/${r.failed}`) return mine;
    console.error(`matrix_report: ${r.run}: counted ${mine}, the runner said ${r.total ?? 'nothing'}`);
    return `${mine} (runner: ${r.total ?? 'no Total line'})`;
};

const out = [];
out.push(fs.readFileSync(headerFile, 'utf8').trimEnd(), '');
out.push(
    '| row | pairing | route kind | transport | upstream | route | `--requirements` | direct (control) passed / failed | through mcpgw passed / failed | checks lost |',
    '|---|---|---|---|---|---|---|---|---|---|'
);
const results = rows.map(row => ({ row, ...compare(row) }));
for (const { row, d, t, lost } of results) {
    const dcell = counted(d) + (row.note ? ` ${row.note}` : '');
    const tcell = t.checks.size ? counted(t) : 'no result';
    out.push(
        `| ${row.id} | ${row.pairing} | ${row.kind} | ${row.transport} | ${row.upstream} | \`${row.route}\` | ${row.rev} | ${dcell} | ${tcell} | ${lost.length ? `**${lost.length}**` : 0} |`
    );
}
out.push('');

// Checks of one list grouped by what the runner said: "- STATUS "words" (N): `a`, `b`".
function grouped(list, pick) {
    const groups = new Map();
    for (const item of list) {
        const c = pick(item);
        const g = c ? `${c.status}: "${words(c)}"` : 'absent (not run through mcpgw: the scenario stopped before it)';
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(`\`${key(item.k)}\`` + scored(item.run, item.scenario));
    }
    return [...groups].map(([g, ks]) => `- ${g} (${ks.length}): ${ks.join(', ')}`);
}

const gaps = [];
const bothSeen = new Map(); // the text of a "fails in both" list -> the row that printed it first
for (const { row, d, t, lost, both, gained } of results) {
    out.push(`#### ${row.id}: ${row.pairing}, ${row.kind}, ${row.transport}, \`${row.route}\`, \`--requirements ${row.rev}\``, '');
    out.push(
        `Direct (\`${row.control}\`): ${d.passed} passed, ${d.failed} failed; through mcpgw (\`${row.through}\`): ${t.passed} passed, ${t.failed} failed.`,
        ''
    );
    for (const l of lost) gaps.push(`${row.id}\t${l.k.replace(/#\d+$/, '')}`);
    if (lost.length) {
        out.push(`Passes directly, not through mcpgw (${lost.length}), in the runner's words through mcpgw:`, '');
        out.push(...grouped(lost.map(l => ({ ...l, run: t })), l => l.tc), '');
    } else {
        out.push('Nothing passes directly that does not pass through mcpgw.', '');
    }
    if (both.length) {
        const text = grouped(both.map(b => ({ ...b, run: d })), b => b.dc).join('\n');
        if (bothSeen.has(text)) {
            out.push(`Fails directly and through mcpgw (${both.length}): the same checks, in the same words, as in ${bothSeen.get(text)}.`, '');
        } else {
            bothSeen.set(text, row.id);
            out.push(`Fails directly and through mcpgw (${both.length}), in the runner's words directly:`, '', text, '');
        }
    }
    if (gained.length) {
        out.push(`Fails directly, passes through mcpgw (${gained.length}): ${gained.map(g => `\`${key(g.k)}\``).join(', ')}.`, '');
    }
}
fs.writeFileSync(path.join(workdir, 'gaps.txt'), [...new Set(gaps)].join('\n') + (gaps.length ? '\n' : ''));
process.stdout.write(out.join('\n').trimEnd() + '\n');
