// Reads what a run of the official conformance suite left behind
// (`conformance server --suite all -o DIR`: its output, and one
// checks.json per scenario in DIR) and checks it.  Prints "ok - WHAT",
// "# NOTE" lines and "FAIL: WHAT" (then exits 1).
//
//   node conformance_check.mjs all      SCENARIOS OUTPUT DIR WHERE
//       every scenario of the list SCENARIOS passed (no failed check), the
//       closing "Total: N passed, 0 failed"; WHERE names the run
//   node conformance_check.mjs except   SCENARIOS OUTPUT DIR WHERE EXCLUDED
//       the same, but the scenarios of the file EXCLUDED (lines
//       "SCENARIO|PATTERN|REASON") must fail (or warn, where the runner
//       only warns), and only with failures and warnings whose messages
//       all match the regular expression PATTERN, or else have no
//       successful check at all (the runner found nothing to test)
//   node conformance_check.mjs parity   SCENARIOS CONTROL_DIR DIR STRICT
//       notes (fails with STRICT=1) every check that succeeded in the
//       control run (CONTROL_DIR) but not in DIR, and warnings DIR has
//       that the control run has not
//   node conformance_check.mjs warnings SCENARIOS DIR WHERE
//       notes the warnings of a run
//   node conformance_check.mjs gaps     SCENARIOS CONTROL_DIR DIR WHERE GAPS
//       every check (by scenario and check id, the never-scored scenarios
//       too) that succeeded in the control run (CONTROL_DIR: the same
//       upstream directly) succeeds as often in DIR, with no warning the
//       control run has not, but the gaps the file GAPS lists (lines
//       "SCENARIO|CHECK|PATTERN|REASON"), each of which must still be
//       there, with a message matching PATTERN ("missing" when the check
//       did not run): a gap that disappears fails as a new one does
//
// SCENARIOS: the output of `conformance list --server`, or of `conformance
// list --requirements REVISION --server`, whose "never scored" server
// scenarios (extensions, pending ones) run too: their results are noted,
// never required.

import fs from 'node:fs';
import path from 'node:path';

const ok = (w) => console.log(`ok - ${w}`);
const note = (w) => console.log(`# ${w}`);
function fail(w) {
	console.log(`FAIL: ${w}`);
	process.exit(1);
}

const unscored = [];

function scenarioList(file) {
	const names = [];
	let server = false;
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		const u = line.match(/^\s+-\s+(\S+) \[server\]/);
		if (u) unscored.push(u[1]);
		else if (/^Server scenarios/.test(line)) server = true;
		else if (/^(Client scenarios|Run and reported)/.test(line)) server = false;
		else if (server) {
			const m = line.match(/^\s+-\s+(\S+)/);
			if (m) names.push(m[1]);
		}
	}
	if (names.length === 0) fail(`no server scenario listed in ${file}`);
	return names;
}

// The checks of each scenario: DIR/server-NAME-TIMESTAMP/checks.json.
function checksIn(dir, names) {
	const out = new Map();
	const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
	for (const e of entries) {
		const m = e.match(/^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/);
		if (!m || !names.includes(m[1])) continue;
		const f = path.join(dir, e, 'checks.json');
		if (fs.existsSync(f)) out.set(m[1], JSON.parse(fs.readFileSync(f, 'utf8')));
	}
	return out;
}

// The runner's closing summary: per scenario, and the total.
function summary(file) {
	const text = fs.readFileSync(file, 'utf8');
	const at = text.lastIndexOf('=== SUMMARY ===');
	if (at < 0) return { scenarios: new Map(), total: null };
	const scenarios = new Map();
	let total = null;
	for (const line of text.slice(at).split('\n')) {
		let m = line.match(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/);
		if (m) scenarios.set(m[2], { mark: m[1], passed: +m[3], failed: +m[4] });
		m = line.match(/^Total: (\d+) passed, (\d+) failed/);
		if (m) total = { passed: +m[1], failed: +m[2] };
	}
	return { scenarios, total };
}

const byStatus = (checks, status) => (checks ?? []).filter((c) => c.status === status);
const msg = (c) => `${c.id}: ${(c.errorMessage ?? c.description ?? '').replace(/\s+/g, ' ').slice(0, 300)}`;

function runChecks(names, output, dir, where, excluded) {
	const { scenarios, total } = summary(output);
	const checks = checksIn(dir, names);
	if (total === null) fail(`${where}: the runner printed no "Total: N passed, M failed" summary`);
	let expectedFailed = 0;
	const problems = [];
	for (const name of names) {
		const s = scenarios.get(name);
		const c = checks.get(name);
		if (!s) {
			problems.push(`${name}: missing from the runner's summary`);
			continue;
		}
		if (!c) {
			problems.push(`${name}: no checks.json in ${dir}`);
			continue;
		}
		const failures = byStatus(c, 'FAILURE');
		const warnings = byStatus(c, 'WARNING');
		const ex = excluded?.get(name);
		if (ex) {
			// it must fail (or, where the runner only warns, warn) and
			// only for the reason given
			const bad = [...failures, ...warnings];
			if (bad.length === 0 && byStatus(c, 'SUCCESS').length === 0) {
				ok(`${where}: ${name} not exercised, as expected (${ex.reason}): no check succeeded or failed`);
				continue;
			}
			if (bad.length === 0) {
				// the list (and docs/conformance.md) must say what is true
				problems.push(`${name}: listed as failing (${ex.reason}) but it passed: ${s.passed} checks; drop it from the list and from docs/conformance.md`);
				continue;
			}
			const other = bad.filter((f) => !ex.pattern.test(`${f.errorMessage ?? ''}`));
			if (other.length)
				problems.push(`${name}: excluded because ${ex.reason}, but it failed for another reason: ${other.map(msg).join(' | ')} (expected failures match /${ex.pattern.source}/)`);
			else {
				expectedFailed += failures.length;
				ok(`${where}: ${name} ${failures.length ? 'fails' : 'warns'} as expected (${ex.reason}): ${bad.map(msg).join(' | ').slice(0, 200)}`);
			}
			continue;
		}
		if (s.failed !== 0 || failures.length !== 0) {
			problems.push(`${name}: ${s.failed} failed: ${failures.map(msg).join(' | ')}`);
			continue;
		}
		if (byStatus(c, 'SUCCESS').length === 0)
			note(`${where}: ${name} has no failed check but no successful one either (${warnings.length} warnings): the runner counts it as passed`);
		ok(`${where}: ${name} passed (${s.passed} check(s)${warnings.length ? `, ${warnings.length} warnings: ${warnings.map((w) => w.id).join(', ')}` : ''})`);
	}
	const extra = checksIn(dir, unscored);
	for (const [name, s] of scenarios) {
		if (names.includes(name)) continue;
		if (!unscored.includes(name)) {
			problems.push(`${name}: in the summary but not in \`conformance list --server\``);
			continue;
		}
		// run, never scored: noted, and its failures are in the total
		const failures = byStatus(extra.get(name), 'FAILURE');
		expectedFailed += failures.length;
		note(`${where}: ${name} (never scored by this revision): ${s.passed} passed, ${s.failed} failed${failures.length ? `: ${failures.map(msg).join(' | ').slice(0, 300)}` : ''}`);
	}
	if (excluded) for (const name of excluded.keys()) if (!names.includes(name)) problems.push(`the excluded scenario ${name} does not exist`);
	if (problems.length) fail(`${where}: ${problems.length} scenario(s) not as required:\n  ${problems.join('\n  ')}`);
	if (total.failed !== expectedFailed)
		fail(`${where}: the runner's total says ${total.failed} failed checks, the scenarios account for ${expectedFailed}`);
	ok(`${where}: all ${names.length} server scenarios of the suite ran; runner total: ${total.passed} passed, ${total.failed} failed${excluded ? ` (all ${total.failed} in excluded scenarios)` : ''}`);
}

function warnings(names, dir, where) {
	const checks = checksIn(dir, names);
	let n = 0;
	for (const name of names)
		for (const w of byStatus(checks.get(name), 'WARNING')) {
			n++;
			note(`${where}: WARNING ${name}: ${msg(w)}`);
		}
	if (n === 0) note(`${where}: no warnings`);
}

function parity(names, controlDir, dir, strict) {
	const control = checksIn(controlDir, names);
	const gw = checksIn(dir, names);
	const lost = [];
	for (const name of names) {
		const before = control.get(name) ?? [];
		const after = gw.get(name) ?? [];
		for (const c of byStatus(before, 'SUCCESS')) {
			const a = after.find((x) => x.id === c.id);
			if (!a || a.status !== 'SUCCESS')
				lost.push(`${name}: check ${c.id} succeeds against the upstream directly but ${a ? `is ${a.status} through the gateway: ${msg(a)}` : 'is missing through the gateway'}`);
		}
		for (const w of byStatus(after, 'WARNING'))
			if (!before.some((x) => x.id === w.id))
				lost.push(`${name}: WARNING through the gateway only: ${msg(w)}`);
	}
	if (lost.length === 0) {
		note('parity: every check that succeeds against the upstream directly succeeds through the gateway, with no new warning');
		return;
	}
	for (const l of lost) note(`parity: ${l}`);
	if (strict === '1') fail(`${lost.length} check(s) succeed directly but not through the gateway (MG_CONFORMANCE_STRICT=1)`);
	note(`parity: ${lost.length} difference(s) from the direct run; informational (MG_CONFORMANCE_STRICT=1 makes them fail)`);
}

// The differences of DIR from CONTROL_DIR: per scenario and check id,
// fewer successes (with DIR's message, or "missing"), or a warning the
// control run has not.
function differences(all, controlDir, dir) {
	const control = checksIn(controlDir, all);
	const gw = checksIn(dir, all);
	const out = [];
	for (const name of all) {
		const before = control.get(name) ?? [];
		const after = gw.get(name) ?? [];
		const ids = new Set(before.map((c) => c.id));
		for (const id of ids) {
			const won = (l) => l.filter((c) => c.id === id && c.status === 'SUCCESS').length;
			if (won(after) >= won(before)) continue;
			const bad = after.find((c) => c.id === id && c.status !== 'SUCCESS');
			out.push({ name, id, text: bad ? `${bad.status}: ${(bad.errorMessage ?? '').replace(/\s+/g, ' ')}` : 'missing' });
		}
		for (const w of byStatus(after, 'WARNING'))
			if (!before.some((x) => x.id === w.id && x.status === 'WARNING'))
				if (!out.some((d) => d.name === name && d.id === w.id))
					out.push({ name, id: w.id, text: `WARNING: ${(w.errorMessage ?? '').replace(/\s+/g, ' ')}` });
	}
	return out;
}

function readGaps(file) {
	const gaps = [];
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		if (!line.trim() || line.startsWith('#')) continue;
		const [name, id, pattern, ...reason] = line.split('|');
		if (!name || !id || !pattern || !reason.length) fail(`bad line in the gap list: ${line}`);
		gaps.push({ name: name.trim(), id: id.trim(), pattern: new RegExp(pattern.trim()), reason: reason.join('|').trim(), seen: false });
	}
	return gaps;
}

function gaps(names, controlDir, dir, where, file) {
	const all = [...names, ...unscored];
	const listed = readGaps(file);
	const problems = [];
	if (checksIn(controlDir, all).size === 0) fail(`${where}: no checks.json in the control run ${controlDir}`);
	for (const d of differences(all, controlDir, dir)) {
		const g = listed.find((x) => x.name === d.name && x.id === d.id);
		if (!g) problems.push(`new gap: ${d.name}: ${d.id} succeeds directly, through the gateway ${d.text.slice(0, 300)}`);
		else if (!g.pattern.test(d.text)) problems.push(`${d.name}: ${d.id} is a listed gap (${g.reason}) but differs otherwise: ${d.text.slice(0, 300)} (expected /${g.pattern.source}/)`);
		else {
			g.seen = true;
			ok(`${where}: known gap ${d.name}: ${d.id} (${g.reason}): ${d.text.slice(0, 160)}`);
		}
	}
	for (const g of listed)
		if (!g.seen) problems.push(`gap gone: ${g.name}: ${g.id} now succeeds through the gateway as directly; drop it from the list and from docs/conformance.md`);
	if (problems.length) fail(`${where}: ${problems.length} difference(s) from the direct run not as listed:\n  ${problems.join('\n  ')}`);
	ok(`${where}: every check that succeeds directly succeeds through the gateway, but the ${listed.length} listed gap(s)`);
}

function readExcluded(file) {
	const m = new Map();
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		if (!line.trim() || line.startsWith('#')) continue;
		const [name, pattern, ...reason] = line.split('|');
		if (!name || !pattern || !reason.length) fail(`bad line in the excluded list: ${line}`);
		m.set(name.trim(), { pattern: new RegExp(pattern.trim()), reason: reason.join('|').trim() });
	}
	return m;
}

const [cmd, list, ...args] = process.argv.slice(2);
const names = list ? scenarioList(list) : [];
switch (cmd) {
	case 'all':
		runChecks(names, args[0], args[1], args[2], null);
		break;
	case 'except':
		runChecks(names, args[0], args[1], args[2], readExcluded(args[3]));
		break;
	case 'parity':
		parity(names, args[0], args[1], args[2]);
		break;
	case 'gaps':
		gaps(names, args[0], args[1], args[2], args[3]);
		break;
	case 'warnings':
		warnings(names, args[0], args[1]);
		break;
	default:
		console.error('usage: node conformance_check.mjs all|except|parity|warnings|gaps SCENARIOS ...');
		process.exit(2);
}
