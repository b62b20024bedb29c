// edgeca's portal (/ui/) driven in Debian's headless Chromium through
// playwright-core, with the accessible names of the portal contract
// (docs/portal.md). Run by tests/integration/test_portal_browser.c; also
// usable on its own against any instance:
//
//   EDGECA_URL=https://ca.example.com:8443 EDGECA_TOKEN=... \
//   EDGECA_SPKI=<base64 SHA-256 of the server's public key> \
//   node tests/browser/portal.mjs [flow|timing|standin]
//
// Modes:
//   flow     (default) the whole walk-through of issue 18 as a pki_admin,
//            then as an auditor (EDGECA_READONLY_TOKEN), CSRF and sign-out
//            checks; screenshots of the main pages into EDGECA_SCREENSHOTS.
//   timing   signs in with EDGECA_TOKEN and prints, per page, the time
//            from navigation to its main content visible and its API
//            calls answered (bench/portal.sh, against a seeded database).
//   standin  for a tree without ui/: checks that Chromium reaches the
//            instance over TLS with the pinned key (GET /healthz), not
//            without it, and that nothing errs.
//
// Chromium trusts the server's certificate through
// --ignore-certificate-errors-spki-list=EDGECA_SPKI: only that key is
// accepted, every other certificate error still fails the navigation.
// The checks through the API (page.request, with the page's cookies) run
// in Node: they verify the server against NODE_EXTRA_CA_CERTS.
// In flow mode every page visited is also audited (tests/browser/a11y.mjs):
// accessible names of fields, buttons, links and images, no layout shift
// while it loads; a second admin session at 640x400 (200 % zoom) walks the
// admin path by keyboard alone (focus always visible, Escape closing the
// Revoke dialog back to its opener; the wizard's steps and the CA action
// dialogs: tests/browser/keyboard.mjs) and checks that no page scrolls
// sideways; CA settings with the 412 merge view, a hold released, a
// token created, edited and deleted, a refused CA deletion
// (tests/browser/manage.mjs);
// the /ui/ answers' exact CSP and X-Frame-Options, and a page of another
// origin that frames the portal gets an empty frame.
// Any console error, uncaught page error or CSP violation fails the run;
// so does any step whose expected content does not show up (each waits on
// what the page shows, never on a fixed delay). Exit status 0: passed.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import * as a11y from './a11y.mjs';
import { walk as keyboardWalk } from './keyboard.mjs';
import * as manage from './manage.mjs';

const env = process.env;
const mode = process.argv[2] || env.EDGECA_BROWSER_MODE || 'flow';
const base = (env.EDGECA_URL || '').replace(/\/$/, '');
const shots = env.EDGECA_SCREENSHOTS || '';
const STEP_MS = Number(env.EDGECA_STEP_TIMEOUT_MS || 30000);

const problems = []; // console errors, page errors, CSP violations
const timings = [];  // [page, milliseconds]

function need(name) {
	if (!env[name])
		throw new Error(`${name} is not set`);
	return env[name];
}

function check(cond, what) {
	if (!cond)
		throw new Error(`check failed: ${what}`);
	console.log(`ok: ${what}`);
}

function browserArgs(pinned) {
	return [
		// Chromium refuses to run as root with its sandbox; the test
		// runs as root on the build machine (scripts/test).
		...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
		...(pinned ? [`--ignore-certificate-errors-spki-list=${need('EDGECA_SPKI')}`] : []),
	];
}

async function launch() {
	return chromium.launch({ executablePath: env.EDGECA_CHROMIUM || '/usr/bin/chromium',
	                         args: browserArgs(true) });
}

// A page whose console errors, uncaught exceptions and CSP violations are
// collected into problems. Chromium logs every HTTP error answer a fetch
// gets as a console error ("Failed to load resource"); the API's 4xx
// answers are results the portal shows (401 before sign-in, a refused
// sign-in, 403 to an auditor), so those are not problems, nor is the
// browser's own request for /favicon.ico; any other failed resource (a
// missing script or style, a 5xx) is.
async function newPage(browser, label, viewport = { width: 1280, height: 800 }) {
	const context = await browser.newContext({ viewport, ignoreHTTPSErrors: false });
	await context.addInitScript(a11y.installShiftObserver);
	await context.exposeBinding('__edgecaCspViolation', (_src, text) => {
		problems.push(`${label}: CSP violation: ${text}`);
	});
	await context.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__edgecaCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} ` +
			                            `(${e.sourceFile}:${e.lineNumber})`);
		});
	});
	const page = await context.newPage();
	page.setDefaultTimeout(STEP_MS);
	page.on('console', (msg) => {
		if (msg.type() !== 'error')
			return;
		const url = msg.location().url || '';
		const api4xx = /^Failed to load resource: the server responded with a status of 4\d\d/
		    .test(msg.text()) && url.startsWith(`${base}/api/v1/`);
		// Chromium itself asks for /favicon.ico when a page names no icon
		const favicon = url === `${base}/favicon.ico`;
		if (!api4xx && !favicon)
			problems.push(`${label}: console error: ${msg.text()} (${url})`);
	});
	page.on('pageerror', (err) => problems.push(`${label}: page error: ${err.message}`));
	return page;
}

async function screenshot(page, name) {
	if (!shots)
		return;
	mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: join(shots, `${name}.png`) });
	console.log(`screenshot: ${join(shots, `${name}.png`)}`);
}

// Runs action (a navigation or a click) and waits until what shows the
// page's main content is visible; records how long that took.
async function timed(page, name, action, content) {
	const t0 = performance.now();
	await action();
	await content.first().waitFor({ state: 'visible' });
	const ms = performance.now() - t0;
	timings.push([name, ms]);
	console.log(`page ${name}: ${ms.toFixed(0)} ms to its main content`);
}

async function navLink(page, name) {
	return page.getByRole('navigation').getByRole('link', { name, exact: true });
}

async function signIn(page, token, role, keyboard = false) {
	await timed(page, 'sign-in', () => page.goto(`${base}/ui/`),
	            page.getByLabel('API token', { exact: true }));
	if (keyboard) {
		// keyboard only: Tab until the token field has the focus, type,
		// Tab to the button, Enter
		const field = page.getByLabel('API token', { exact: true });
		for (let i = 0; i < 20 && !(await field.evaluate((e) => e === document.activeElement)); i++)
			await page.keyboard.press('Tab');
		check(await field.evaluate((e) => e === document.activeElement),
		      'the API token field is reachable with Tab');
		await page.keyboard.type(token);
		const button = page.getByRole('button', { name: 'Sign in', exact: true });
		for (let i = 0; i < 5 && !(await button.evaluate((e) => e === document.activeElement)); i++)
			await page.keyboard.press('Tab');
		check(await button.evaluate((e) => e === document.activeElement),
		      'the Sign in button follows the field in the Tab order');
		await page.keyboard.press('Enter');
	} else {
		await page.getByLabel('API token', { exact: true }).fill(token);
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	}
	await page.getByText(`Role: ${role}`, { exact: true }).waitFor();
	check(true, `signed in as ${role}${keyboard ? ' with the keyboard alone' : ''}`);
}

async function signOut(page) {
	await page.getByRole('button', { name: 'Sign out', exact: true }).click();
	await page.getByLabel('API token', { exact: true }).waitFor();
	check(true, 'signed out: the sign-in page is back');
}

async function session(page) {
	const r = await page.request.get(`${base}/api/v1/sessions/current`);
	return { status: r.status(), body: r.ok() ? await r.json() : null };
}

async function selectContaining(select, text) {
	const value = await select.evaluate((el, t) => {
		const norm = (x) => x.toLowerCase().replace(/\s+/g, '');
		const o = [...el.options].find((x) => norm(x.textContent).includes(norm(t)));
		return o ? o.value : null;
	}, text);
	if (value === null)
		throw new Error(`no option containing "${text}"`);
	await select.selectOption(value);
}

// Fills the Create CA wizard, whatever fields each step shows: fields are
// filled as they appear (text fields only when empty, so the recommended
// values the portal fills in stay), Next until Create shows.
async function createCaWizard(page, kind, fields, parentName) {
	await page.getByRole('link', { name: 'Create CA', exact: true }).click();
	const form = page.locator('form').first();
	await form.waitFor();
	const pending = new Map(Object.entries(fields));
	let kindDone = false, parentDone = parentName === undefined, shot = false;
	for (let step = 0; step < 12; step++) {
		await a11y.audit(page, `Create CA wizard (${kind}), step ${step + 1}`);
		const radio = form.getByRole('radio', { name: kind, exact: true });
		if (!kindDone && await radio.isVisible()) {
			await radio.check();
			kindDone = true;
		}
		const parent = form.getByLabel('Parent CA', { exact: true });
		if (!parentDone && await parent.isVisible()) {
			await selectContaining(parent, parentName);
			parentDone = true;
		}
		for (const [label, value] of [...pending]) {
			const field = form.getByLabel(label, { exact: true });
			if (!(await field.isVisible()))
				continue;
			const tag = await field.evaluate((e) => e.tagName);
			if (tag === 'SELECT')
				await selectContaining(field, value);
			else if ((await field.inputValue()) === '')
				await field.fill(value);
			pending.delete(label);
		}
		if (!shot && kind === 'Root CA') {
			await screenshot(page, 'create-ca-wizard');
			shot = true;
		}
		const create = form.getByRole('button', { name: 'Create', exact: true });
		if (await create.isVisible()) {
			check(kindDone && parentDone && pending.size === 0,
			      `the wizard asked for every field (${[...pending.keys()].join(', ') || 'all filled'})`);
			await create.click();
			return;
		}
		await form.getByRole('button', { name: 'Next', exact: true }).click();
		// the next step: a field still to fill, or Create
		let next = create;
		for (const label of pending.keys())
			next = next.or(form.getByLabel(label, { exact: true }));
		if (!parentDone)
			next = next.or(form.getByLabel('Parent CA', { exact: true }));
		await next.first().waitFor();
	}
	throw new Error('the Create CA wizard never showed Create');
}

// The serials on a CA's current CRL (PEM through the API, with the
// session's cookie), as upper-case hex without leading zeros.
async function crlSerials(page, caId) {
	const r = await page.request.get(`${base}/api/v1/cas/${caId}/crl`,
	                                 { headers: { Accept: 'application/x-pem-file' } });
	if (r.status() !== 200)
		throw new Error(`GET the CRL of ${caId}: ${r.status()}`);
	const text = execFileSync('openssl', ['crl', '-noout', '-text'],
	                          { input: await r.body(), encoding: 'utf8' });
	return [...text.matchAll(/Serial Number: ([0-9A-Fa-f]+)/g)]
	    .map((m) => m[1].toUpperCase().replace(/^0+/, ''));
}

async function waitFor(what, probe) {
	const deadline = Date.now() + STEP_MS;
	for (;;) {
		if (await probe())
			return check(true, what);
		if (Date.now() > deadline)
			throw new Error(`check failed: ${what}`);
		await new Promise((r) => setTimeout(r, 250)); // polls the API
	}
}

const t = { base, check, waitFor, selectContaining }; // for manage.mjs

const hex = (serial) => String(serial).replace(/:/g, '').toUpperCase().replace(/^0+/, '');

// What the portal made, looked up through the API with the page's session
// (the portal's routes are its own business).
async function caByName(page, name) {
	const r = await page.request.get(`${base}/api/v1/cas?limit=1000`);
	if (r.status() !== 200)
		throw new Error(`GET /api/v1/cas: ${r.status()}`);
	return (await r.json()).items.find((ca) => ca.common_name === name) || null;
}

async function certsByCn(page, caId, cn) {
	const q = new URLSearchParams({ ca_id: caId, common_name_prefix: cn });
	const r = await page.request.get(`${base}/api/v1/certificates?${q}`);
	if (r.status() !== 200)
		throw new Error(`GET /api/v1/certificates: ${r.status()}`);
	return (await r.json()).items.filter((c) => c.common_name === cn);
}

async function adminFlow(browser) {
	const token = need('EDGECA_TOKEN');
	const csr = readFileSync(need('EDGECA_CSR'), 'utf8');
	const cn = need('EDGECA_CSR_CN');
	const stamp = Date.now().toString(36);
	const rootName = `Portal Root ${stamp}`, subName = `Portal Issuing ${stamp}`;
	const page = await newPage(browser, 'admin');

	const ui = await page.request.get(`${base}/ui/`);
	check(ui.status() === 200, `GET /ui/ answers 200 (${ui.status()})`);
	await a11y.headers(browser, page, base);
	await page.goto(`${base}/ui/`);
	await page.getByLabel('API token', { exact: true }).waitFor();
	await a11y.audit(page, 'sign-in');
	await screenshot(page, 'sign-in');

	// a refused token shows the problem's detail
	await page.getByLabel('API token', { exact: true }).fill('edgeca_not-a-token');
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
	check(true, 'a bad token shows an alert');

	await signIn(page, token, 'pki_admin');
	for (const name of ['Certificate Authorities', 'Certificates', 'Tokens', 'Notifications', 'Audit'])
		await (await navLink(page, name)).waitFor();
	check(true, 'the navigation has every section');
	await a11y.audit(page, 'the first page after sign-in');

	// Certificate Authorities: the list, then a root and a subordinate
	await timed(page, 'ca-list', async () => (await navLink(page, 'Certificate Authorities')).click(),
	            page.getByRole('table'));
	for (const col of ['Name', 'Kind', 'Status', 'Locations', 'Expires'])
		await page.getByRole('columnheader', { name: col, exact: true }).waitFor();
	await a11y.audit(page, 'Certificate Authorities');
	const common = {
		'Organization': 'Contoso', 'Country': 'US',
		'Notification e-mails': 'pki@example.com', 'Threshold (%)': '80',
	};
	await createCaWizard(page, 'Root CA', { ...common, 'Common name': rootName,
	                                        'Validity (days)': '3650' });
	await page.getByRole('heading', { name: rootName, exact: true }).waitFor();
	const root = await caByName(page, rootName);
	check(root !== null && root.kind === 'root' && root.organization === 'Contoso',
	      `the wizard made the root CA ${rootName}`);
	const rootId = root.id;
	await a11y.audit(page, "the root CA's page");
	await screenshot(page, 'ca-page');

	await (await navLink(page, 'Certificate Authorities')).click();
	await page.getByRole('cell', { name: rootName, exact: true })
	    .or(page.getByRole('row').filter({ hasText: rootName })).first().waitFor();
	await screenshot(page, 'ca-list');
	await createCaWizard(page, 'Subordinate CA', { ...common, 'Common name': subName,
	                                               'Validity (days)': '1825' }, rootName);
	await page.getByRole('heading', { name: subName, exact: true }).waitFor();
	const sub = await caByName(page, subName);
	check(sub !== null && sub.kind === 'subordinate' && sub.parent_ca_id === rootId,
	      `the wizard made the subordinate CA ${subName} under the root`);
	const subId = sub.id;
	await a11y.audit(page, "the subordinate CA's page");
	for (const b of ['Download certificate (PEM)', 'Disable'])
		await page.getByRole('button', { name: b, exact: true }).waitFor();
	if (sub.est?.enabled) {
		await page.getByRole('button', { name: 'Copy', exact: true }).first().waitFor();
		check(true, 'the EST URLs have Copy buttons');
	} else {
		console.log('note: EST is off for the new CA: no EST URL to copy');
	}

	// a certificate from a pasted CSR, its preview decoded in the page
	await page.getByRole('link', { name: 'Request certificate', exact: true }).click();
	await page.getByLabel('CSR (PEM)', { exact: true }).waitFor();
	await a11y.audit(page, 'Request certificate');
	await page.getByLabel('CSR (PEM)', { exact: true }).fill(csr);
	await page.getByText(cn).first().waitFor();
	check(true, `the CSR preview shows its CN ${cn}`);
	await a11y.audit(page, 'Request certificate, the CSR shown');
	await page.getByRole('button', { name: 'Request certificate', exact: true }).click();
	await page.getByRole('button', { name: 'Revoke', exact: true }).waitFor();
	const issued = await certsByCn(page, subId, cn);
	check(issued.length === 1, `the subordinate CA issued the certificate for ${cn}`);
	const serialHex = hex(issued[0].serial_number);
	await page.getByText(cn).first().waitFor();
	await a11y.audit(page, "a certificate's page");
	await screenshot(page, 'certificate-page');
	const spareName = `Portal Spare ${stamp}`;
	const kbPage = await newPage(browser, 'keyboard', { width: 640, height: 400 });
	await keyboardWalk(kbPage, t, token, cn, rootName, [await manage.throwAwayCa(page, t, spareName, rootId), spareName]);
	await kbPage.context().close();

	// search by common name prefix
	await timed(page, 'certificate-search', async () => (await navLink(page, 'Certificates')).click(),
	            page.getByLabel('Common name prefix', { exact: true }));
	await page.getByLabel('Common name prefix', { exact: true }).fill(cn.slice(0, 8));
	await page.getByRole('button', { name: 'Search', exact: true }).click();
	const row = page.getByRole('row').filter({ hasText: cn });
	await row.first().waitFor();
	for (const col of ['Serial', 'Common name', 'CA', 'Status', 'Expires'])
		await page.getByRole('columnheader', { name: col, exact: true }).waitFor();
	check(true, 'the search by common name prefix finds the certificate');
	await a11y.audit(page, 'Certificates (search results)');
	await screenshot(page, 'certificate-search');

	// revoke it with a reason
	await timed(page, 'certificate-page', () => row.first().getByRole('link').first().click(),
	            page.getByRole('button', { name: 'Revoke', exact: true }));
	await page.getByRole('button', { name: 'Revoke', exact: true }).click();
	const dialog = page.getByRole('dialog');
	await dialog.waitFor();
	await a11y.audit(page, 'the Revoke dialog');
	await selectContaining(dialog.getByLabel('Reason', { exact: true }), 'key compromise');
	await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	const certPath = `${base}/api/v1/cas/${subId}/certificates/${issued[0].serial_number}`;
	await waitFor('the API has the certificate revoked for keyCompromise', async () => {
		const r = await page.request.get(certPath);
		const c = r.ok() ? await r.json() : {};
		return c.status === 'revoked' && c.revocation?.reason === 'keyCompromise';
	});
	await page.getByText(/revoked/i).first().waitFor();
	check(true, 'the certificate page shows it revoked');
	await waitFor(`serial ${serialHex} is on the subordinate CA's CRL`,
	              async () => (await crlSerials(page, subId)).includes(serialHex));

	// the audit trail has the issuance and the revocation
	await timed(page, 'audit', async () => (await navLink(page, 'Audit')).click(),
	            page.getByRole('table'));
	for (const col of ['Time', 'Actor', 'Action', 'Object'])
		await page.getByRole('columnheader', { name: col, exact: true }).waitFor();
	await page.getByRole('cell', { name: 'certificate.issue', exact: true }).first().waitFor();
	await page.getByRole('cell', { name: 'certificate.revoke', exact: true }).first().waitFor();
	check(true, 'the audit trail shows the issuance and the revocation');
	await a11y.audit(page, 'Audit');
	await screenshot(page, 'audit');

	// settings and their 412, a hold released, a token's life, a refused deletion
	await manage.caSettings(page, t, rootId, rootName);
	await manage.caConfirm(page, t, subId, subName);
	await manage.releaseHold(page, t, subId, csr);
	await manage.tokens(page, t, `portal-token-${stamp}`, subId);
	await manage.deleteRefused(page, t, rootId, rootName);

	// CSRF: the cookie alone does not change anything
	const noCsrf = await page.request.post(`${base}/api/v1/cas/${subId}/disable`);
	const noCsrfBody = await noCsrf.json().catch(() => ({}));
	check(noCsrf.status() === 403 && noCsrfBody.type === 'urn:edgeca:problem:csrf-token-invalid',
	      `POST with the session cookie and no X-CSRF-Token is 403 csrf-token-invalid (${noCsrf.status()} ${noCsrfBody.type})`);
	const after = await page.request.get(`${base}/api/v1/cas/${subId}`);
	check(after.status() === 200 && (await after.json()).status === sub.status,
	      `the subordinate CA's status is still ${sub.status}`);

	// sign out: the old cookie is refused from then on
	const cookies = await page.context().cookies(base);
	check(cookies.some((c) => c.name === 'edgeca_session' && c.httpOnly && c.secure && c.sameSite === 'Strict'),
	      'the session cookie is HttpOnly, Secure, SameSite=Strict');
	await signOut(page);
	const stale = cookies.find((c) => c.name === 'edgeca_session');
	const again = await page.request.get(`${base}/api/v1/sessions/current`,
	                                     { headers: { Cookie: `edgeca_session=${stale.value}` } });
	check(again.status() === 401, `the ended session's cookie is refused (${again.status()})`);
	await page.context().close();
	return { rootName, subId };
}

async function auditorFlow(browser, ids) {
	const token = need('EDGECA_READONLY_TOKEN');
	const page = await newPage(browser, 'auditor');
	await signIn(page, token, 'auditor', true);
	const forbidden = ['Create CA', 'Disable', 'Enable', 'Revoke', 'Request certificate'];
	const none = async (where) => {
		await page.getByRole('main').or(page.locator('main')).first().waitFor();
		for (const name of forbidden) {
			const n = await page.getByRole('button', { name, exact: true })
			    .or(page.getByRole('link', { name, exact: true })).count();
			check(n === 0, `no ${name} for an auditor on ${where}`);
		}
	};
	await (await navLink(page, 'Certificate Authorities')).click();
	await page.getByRole('table').first().waitFor();
	await none('the CA list');
	await a11y.audit(page, 'Certificate Authorities (auditor)');
	await page.getByRole('link', { name: ids.rootName, exact: true }).first().click();
	await page.getByRole('heading', { name: ids.rootName, exact: true }).waitFor();
	await none("a CA's page");
	await a11y.audit(page, "a CA's page (auditor)");
	await (await navLink(page, 'Certificates')).click();
	await page.getByLabel('Common name prefix', { exact: true }).fill(need('EDGECA_CSR_CN').slice(0, 8));
	await page.getByRole('button', { name: 'Search', exact: true }).click();
	const row = page.getByRole('row').filter({ hasText: need('EDGECA_CSR_CN') }).first();
	await row.waitFor();
	await row.getByRole('link').first().click();
	await page.getByText(need('EDGECA_CSR_CN')).first().waitFor();
	await none("a certificate's page");
	await a11y.audit(page, "a certificate's page (auditor)");
	await (await navLink(page, 'Tokens')).click();
	await page.getByRole('main').or(page.locator('main')).first().waitFor();
	check(await page.getByRole('button', { name: /create/i }).count() === 0,
	      'no token-creation button for an auditor');
	await a11y.audit(page, 'Tokens (auditor)');

	// with the auditor's session and its CSRF token, a change is still 403
	const s = await session(page);
	check(s.status === 200 && s.body.role === 'auditor', 'the auditor session is current');
	const r = await page.request.post(`${base}/api/v1/cas/${ids.subId}/disable`,
	                                  { headers: { 'X-CSRF-Token': s.body.csrf_token } });
	check(r.status() === 403, `an auditor's state change is refused (${r.status()})`);
	await signOut(page);
	await page.context().close();
}

// Timing mode (bench/portal.sh): a page "loads" from the start of its
// navigation (the document's for the sign-in page, the route change for
// the others: the portal routes in the fragment) until its main content
// is visible -- an element of the new page matching `content`: its table's
// first row, or its heading or form -- and every API call it made has
// been answered. Both are read on the page's clock: the content by a
// check on every animation frame, the answers by Resource Timing.
async function loadTime(page, name, route, content, record) {
	const api = new Set(); // API requests in flight
	const track = (r) => { if (r.url().startsWith(`${base}/api/v1/`)) api.add(r); };
	const untrack = (r) => api.delete(r);
	page.on('request', track);
	page.on('requestfinished', untrack);
	page.on('requestfailed', untrack);
	let t0 = 0;
	if (route === null) {
		await page.goto(`${base}/ui/`);
	} else {
		t0 = await page.evaluate((r) => {
			// what the previous page showed is not the new one's content
			for (const e of document.querySelectorAll('main *'))
				e.__edgecaOld = true;
			performance.clearResourceTimings();
			const t = performance.now();
			location.hash = r;
			return t;
		}, route);
	}
	const shown = await (await page.waitForFunction((sel) => {
		const e = [...document.querySelectorAll(sel)].find((x) => !x.__edgecaOld &&
		    x.getClientRects().length > 0);
		return e ? performance.now() : false;
	}, content, { polling: 'raf' })).jsonValue();
	const until = performance.now() + STEP_MS;
	while (api.size > 0) {
		if (performance.now() > until)
			throw new Error(`${name}: ${api.size} API call(s) unanswered after ${STEP_MS} ms`);
		await new Promise((res) => setTimeout(res, 5));
	}
	page.off('request', track);
	page.off('requestfinished', untrack);
	page.off('requestfailed', untrack);
	const answered = await page.evaluate((b) => Math.max(0, ...performance.getEntriesByType('resource')
	    .filter((e) => e.name.startsWith(`${b}/api/v1/`)).map((e) => e.responseEnd)), base);
	const ms = Math.max(shown, answered) - t0;
	if (record) {
		timings.push([name, ms]);
		console.log(`page ${name}: ${ms.toFixed(0)} ms to its main content and data`);
	}
	if (record && route === null) { // where a document load's time goes
		const n = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
		console.log(`document: connected ${n.connectEnd.toFixed(0)} ms, index.html ` +
		            `${n.responseEnd.toFixed(0)} ms, modules run ${n.domContentLoadedEventEnd.toFixed(0)} ms`);
	}
}

// Signs in and times each page, EDGECA_TIMING_RUNS times after a
// warm-up pass; EDGECA_TIMING_CA and EDGECA_TIMING_CERT (ca_id/serial)
// name the CA and the certificate whose pages are opened (else the first
// ones listed).
async function timingRun(browser) {
	const runs = Number(env.EDGECA_TIMING_RUNS || 1);
	const row = 'main table tbody tr';
	for (let run = 0; run <= runs; run++) {
		const record = run > 0;
		const page = await newPage(browser, 'timing');
		await loadTime(page, 'sign-in', null, 'main input[name=token]', record);
		await page.getByLabel('API token', { exact: true }).fill(need('EDGECA_TOKEN'));
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
		await page.getByText(`Role: ${env.EDGECA_ROLE || 'pki_admin'}`, { exact: true }).waitFor();
		await loadTime(page, 'CA list', '#/cas', row, record);
		const caId = env.EDGECA_TIMING_CA || await page.evaluate(() =>
			document.querySelector('main table tbody a[href^="#/cas/"]').getAttribute('href').slice(6));
		await loadTime(page, "a CA's page", `#/cas/${caId}`, 'main h1', record);
		await loadTime(page, 'Create CA wizard', '#/cas/new', 'main input[name=common_name]', record);
		await loadTime(page, 'certificate search', '#/certificates', row, record);
		await loadTime(page, 'certificate search, CN prefix', '#/certificates?common_name_prefix=sensor-p12-',
		               row, record);
		await loadTime(page, 'certificate search, one CA', `#/certificates?ca_id=${caId}`, row, record);
		const cert = env.EDGECA_TIMING_CERT || await page.evaluate(() =>
			document.querySelector('main table tbody a[href^="#/certificates/"]').getAttribute('href').slice(15));
		await loadTime(page, "a certificate's page", `#/certificates/${cert}`, 'main h1', record);
		await loadTime(page, 'request certificate', '#/certificates/new', 'main textarea[name=csr]', record);
		await loadTime(page, 'tokens', '#/tokens', row, record);
		await loadTime(page, 'notifications', '#/notifications', row, record);
		await loadTime(page, 'audit', '#/audit', row, record);
		await page.context().close();
	}
}

// Without ui/: Chromium reaches the instance over TLS with the pinned key
// (/healthz, which it renders), and without the pin the certificate is
// refused (so the pin, not some laxer setting, is what lets it in).
async function standIn(browser) {
	const page = await newPage(browser, 'stand-in');
	await timed(page, 'healthz', () => page.goto(`${base}/healthz`), page.getByText('"status"'));
	check(page.url() === `${base}/healthz`, 'Chromium loaded /healthz over TLS, key pinned');
	// the collector of console errors sees one (then forgets it)
	const before = problems.length;
	await page.evaluate(() => console.error('edgeca self-check'));
	await waitFor('a console error is collected', async () => problems.length > before);
	problems.splice(before);
	await page.context().close();
	const unpinned = await chromium.launch({ executablePath: env.EDGECA_CHROMIUM || '/usr/bin/chromium',
	                                         args: browserArgs(false) });
	try {
		const p = await unpinned.newPage();
		const err = await p.goto(`${base}/healthz`).then(() => null, (e) => e.message);
		check(err !== null && /ERR_CERT/.test(err), `without the pin Chromium refuses the certificate (${err && err.split('\n')[0]})`);
	} finally {
		await unpinned.close();
	}
}

let rc = 1;
let browser = null;
try {
	need('EDGECA_URL');
	browser = await launch();
	console.log(`chromium ${browser.version()}, mode ${mode}, ${base}`);
	if (mode === 'flow') {
		const ids = await adminFlow(browser);
		await auditorFlow(browser, ids);
	} else if (mode === 'timing') {
		await timingRun(browser);
	} else if (mode === 'standin') {
		await standIn(browser);
	} else {
		throw new Error(`unknown mode ${mode}`);
	}
	rc = 0;
} catch (err) {
	console.error(`FAILED: ${err.stack || err}`);
} finally {
	if (browser)
		await browser.close();
}
for (const [name, ms] of timings)
	console.log(`timing ${name} ${ms.toFixed(1)} ms`);
if (problems.length > 0) {
	console.error(`${problems.length} console error(s), page error(s) or CSP violation(s):`);
	for (const p of problems)
		console.error(`  ${p}`);
	rc = 1;
}
process.exit(rc);
