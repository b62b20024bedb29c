// The portal's admin path by keyboard alone at 640x400 (a 1280x800 screen
// at 200 % zoom), driven by portal.mjs (flow mode) in a session of its
// own: every page and dialog audited (tests/browser/a11y.mjs: names,
// layout shift, reflow), the focus visible at every Tab stop.
//
// t: { base, check, waitFor, selectContaining } from portal.mjs.

import * as a11y from './a11y.mjs';
import { apiJson, route } from './manage.mjs';


// The dialog open: it has the focus, passes the audit, fits the viewport,
// and Tab reaches each of its buttons with the focus visible.
async function dialogChecks(page, t, dialog, buttons, where) {
	t.check(await dialog.evaluate((d) => d.contains(document.activeElement)), `${where} has the focus`);
	await a11y.audit(page, where);
	const box = await dialog.boundingBox();
	const width = page.viewportSize().width;
	t.check(box !== null && box.x >= 0 && box.x + box.width <= width,
	        `${where} fits the ${width} px viewport (${box && box.x.toFixed(0)}..${box && (box.x + box.width).toFixed(0)})`);
	for (const b of buttons) {
		// forwards to a button after the focus, backwards to one before it
		// (a dialog without fields opens on Cancel, its last button)
		const target = dialog.getByRole('button', { name: b, exact: true });
		const after = await target.evaluate((e) => document.activeElement === e ||
		    !!(document.activeElement.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING));
		await a11y.tabTo(page, target, `${b} in ${where}`, after ? 'Tab' : 'Shift+Tab', 10);
	}
}

// By keyboard alone at 640x400, from the Create CA wizard's first step:
// its steps 2 and 3 (audited, the focus visible), then on the throw-away
// CA's page the Disable dialog (audited, closed with Escape, the focus back
// on Disable, the CA still active; opened again, a reason typed, Disable
// CA: the API has the CA disabled, the audit trail the reason, the page
// the reason), Enable (no dialog, the reason gone from the page), the Renew dialog audited and cancelled (the certificate
// unchanged), the Revoke CA and Delete CA dialogs opened, checked and
// closed with Escape (the focus back on their button), and the CA deleted
// through its Delete CA dialog: the CA list no longer lists it.
async function more(page, t, caId, caName) {
	const kb = page.keyboard;
	const form = page.getByRole('form', { name: 'Create CA' });
	await a11y.tabTo(page, form.getByLabel('Common name', { exact: true }), 'the Common name field');
	await kb.type('Portal Keyboard CA');
	for (const [n, label] of [[2, 'Validity (days)'], [3, 'Issuance template']]) {
		await a11y.tabTo(page, form.getByRole('button', { name: 'Next', exact: true }), 'Next');
		await kb.press('Enter');
		const first = form.getByLabel(label, { exact: true });
		await first.waitFor();
		const f = await a11y.focused(page);
		t.check(f.visible && await first.evaluate((e) => e.closest('fieldset.step')
		    .contains(document.activeElement)), `the wizard's step ${n} has the focus, visible (${f.name})`);
		await a11y.audit(page, `Create CA wizard, step ${n} at 200 %`);
	}
	await a11y.tabTo(page, form.getByRole('button', { name: 'Create', exact: true }), 'Create');
	await a11y.tabTo(page, form.getByRole('button', { name: 'Back', exact: true }), 'Back', 'Shift+Tab');

	await route(page, `#/cas/${caId}`);
	await page.getByRole('heading', { name: caName, exact: true }).waitFor();
	await a11y.audit(page, 'the throw-away CA at 200 %');
	const button = (name) => page.getByRole('main').getByRole('button', { name, exact: true });
	const dialog = page.getByRole('dialog');
	const reason = `keyboard maintenance ${Date.now()}`;
	// opened, checked and closed with Escape, then opened again to disable
	await a11y.tabTo(page, button('Disable'), 'Disable');
	await kb.press('Enter');
	await dialog.waitFor();
	await dialogChecks(page, t, dialog, ['Disable CA', 'Cancel'], 'the Disable dialog at 200 %');
	await kb.press('Escape');
	await dialog.waitFor({ state: 'hidden' });
	t.check(await button('Disable').evaluate((e) => e === document.activeElement) &&
	        (await a11y.focused(page)).visible, 'Escape closes the Disable dialog, the focus back on Disable');
	t.check((await apiJson(page, t, `/api/v1/cas/${caId}`)).status === 'active',
	        'the Disable dialog closed with Escape: the CA is still active');
	await kb.press('Enter');
	await dialog.waitFor();
	await a11y.tabTo(page, dialog.getByLabel('Reason', { exact: true }), 'the Reason field', 'Shift+Tab', 10);
	await kb.type(reason);
	await a11y.tabTo(page, dialog.getByRole('button', { name: 'Disable CA', exact: true }), 'Disable CA', 'Tab', 10);
	await kb.press('Enter');
	await button('Enable').waitFor();
	await a11y.audit(page, 'the throw-away CA after Disable at 200 %');
	t.check((await apiJson(page, t, `/api/v1/cas/${caId}`)).status === 'disabled',
	        'Disable CA in its dialog by keyboard: the API has the CA disabled');
	const q = new URLSearchParams({ object_id: caId, action: 'ca.disable', limit: '10' });
	const entries = (await apiJson(page, t, `/api/v1/audit?${q}`)).items;
	t.check(entries.some((e) => e.details?.reason === reason),
	        `the audit trail's ca.disable has the reason typed in the dialog (${reason})`);
	const statusLine = page.getByRole('main').locator('.status-line');
	t.check((await statusLine.textContent()).includes(`: ${reason}`),
	        `the CA's page shows the reason it was disabled (${reason})`);
	await a11y.tabTo(page, button('Enable'), 'Enable');
	await kb.press('Enter');
	await button('Disable').waitFor();
	await a11y.audit(page, 'the throw-away CA after Enable at 200 %');
	t.check((await apiJson(page, t, `/api/v1/cas/${caId}`)).status === 'active',
	        'Disable and Enable by keyboard: the CA is active again');
	t.check(!(await statusLine.textContent()).includes(reason),
	        "after Enable the CA's page no longer shows the reason");
	const before = (await apiJson(page, t, `/api/v1/cas/${caId}`)).certificate_pem;
	await a11y.tabTo(page, button('Renew'), 'Renew');
	await kb.press('Enter');
	await dialog.waitFor();
	await dialogChecks(page, t, dialog, ['Renew CA', 'Cancel'], 'the Renew dialog at 200 %');
	await a11y.tabTo(page, dialog.getByRole('button', { name: 'Cancel', exact: true }), 'Cancel', 'Tab', 10);
	await kb.press('Enter');
	await dialog.waitFor({ state: 'hidden' });
	t.check(await button('Renew').evaluate((e) => e === document.activeElement) &&
	        (await a11y.focused(page)).visible, 'Cancel closes the Renew dialog, the focus back on Renew');
	t.check((await apiJson(page, t, `/api/v1/cas/${caId}`)).certificate_pem === before,
	        "Renew cancelled: the CA's certificate is unchanged");
	for (const [open, buttons] of [['Revoke CA', ['Revoke', 'Cancel']], ['Delete CA', ['Delete CA', 'Cancel']]]) {
		await a11y.tabTo(page, button(open), open);
		await kb.press('Enter');
		await dialog.waitFor();
		await dialogChecks(page, t, dialog, buttons, `the ${open} dialog at 200 %`);
		await kb.press('Escape');
		await dialog.waitFor({ state: 'hidden' });
		t.check(await button(open).evaluate((e) => e === document.activeElement) &&
		        (await a11y.focused(page)).visible, `Escape closes the ${open} dialog, the focus back on ${open}`);
	}
	await a11y.tabTo(page, button('Delete CA'), 'Delete CA');
	await kb.press('Enter');
	await dialog.waitFor();
	t.check(await dialog.getByRole('button', { name: 'Cancel', exact: true })
	    .evaluate((e) => e === document.activeElement),
	        'the Delete CA dialog opens on Cancel: Enter on opening deletes nothing');
	await a11y.tabTo(page, dialog.getByRole('button', { name: 'Delete CA', exact: true }), 'Delete CA', 'Shift+Tab', 10);
	await kb.press('Enter');
	const refused = dialog.getByRole('alert').filter({ hasText: /\S/ });
	await page.getByRole('link', { name: 'Create CA', exact: true }).or(refused).first().waitFor();
	if (await refused.count() > 0)
		throw new Error(`check failed: Delete CA of ${caName}: ${await refused.first().textContent()}`);
	await page.getByRole('table').first().waitFor();
	t.check(await page.getByRole('row').filter({ hasText: caName }).count() === 0,
	        `deleted from its page: the CA list no longer lists ${caName}`);
	const gone = await page.request.get(`${t.base}/api/v1/cas/${caId}`);
	t.check(gone.status() === 404, `the API no longer has the deleted CA (${gone.status()})`);
	await a11y.audit(page, 'Certificate Authorities after a deletion at 200 %');
}

// The admin path by keyboard alone (Tab, Shift+Tab, Enter, Space, Escape)
// at 640x400, a 1280x800 screen at 200 % zoom: sign in, Certificates from
// the navigation, search, open the result, open the Revoke dialog and
// close it with Escape (the focus goes back to Revoke), then every other
// section, a CA's page, its Request certificate, the Create CA wizard's
// three steps, and a throw-away CA's actions and dialogs, deleting it;
// each page audited (names, layout shift, reflow), the focus visible at
// every Tab stop. page: a new one at 640x400, closed by the caller.
export async function walk(page, t, token, cn, caName, [spareId, spareName]) {
	const kb = page.keyboard;
	const nav = (name) => page.getByRole('navigation').getByRole('link', { name, exact: true });
	await page.goto(`${t.base}/ui/`);
	const field = page.getByLabel('API token', { exact: true });
	await field.waitFor();
	await a11y.audit(page, 'sign-in at 200 %');
	await a11y.tabTo(page, field, 'the API token field');
	await kb.type(token);
	await a11y.tabTo(page, page.getByRole('button', { name: 'Sign in', exact: true }), 'Sign in');
	await kb.press('Enter');
	await page.getByText('Role: pki_admin', { exact: true }).waitFor();
	await page.getByRole('table').first().waitFor();
	await a11y.audit(page, 'Certificate Authorities at 200 %');

	// the focus is on the page's heading, after the navigation
	await a11y.tabTo(page, nav('Certificates'), 'Certificates in the navigation', 'Shift+Tab');
	await kb.press('Enter');
	const prefix = page.getByLabel('Common name prefix', { exact: true });
	await prefix.waitFor();
	await a11y.audit(page, 'Certificates at 200 %');
	await a11y.tabTo(page, prefix, 'the Common name prefix field');
	await kb.type(cn.slice(0, 8));
	await kb.press('Enter');
	const result = page.getByRole('row').filter({ hasText: cn }).first().getByRole('link').first();
	await result.waitFor();
	await a11y.audit(page, 'Certificates (search results) at 200 %');
	await a11y.tabTo(page, result, 'the search result');
	await kb.press('Enter');
	const revoke = page.getByRole('button', { name: 'Revoke', exact: true });
	await revoke.waitFor();
	await a11y.audit(page, "a certificate's page at 200 %");
	await a11y.tabTo(page, revoke, 'Revoke');
	await kb.press('Space');
	const dialog = page.getByRole('dialog');
	await dialog.waitFor();
	t.check(await dialog.evaluate((d) => d.contains(document.activeElement)),
	      'the Revoke dialog has the focus');
	await a11y.audit(page, 'the Revoke dialog at 200 %');
	await kb.press('Escape');
	await dialog.waitFor({ state: 'hidden' });
	t.check(await revoke.evaluate((e) => e === document.activeElement),
	      'Escape closes the Revoke dialog and the focus is back on Revoke');
	t.check((await a11y.focused(page)).visible, 'the focus on Revoke is visible');

	// the other sections, back through the navigation with Shift+Tab
	for (const [name, content] of [['Audit', page.getByRole('table')],
		['Notifications', page.getByRole('heading', { level: 1 })],
		['Tokens', page.getByRole('heading', { level: 1 })],
		['Certificate Authorities', page.getByRole('table')]]) {
		await a11y.tabTo(page, nav(name), `${name} in the navigation`, 'Shift+Tab');
		await kb.press('Enter');
		await content.first().waitFor();
		await page.waitForFunction((n) => document.title.startsWith(n === 'Certificate Authorities'
			? 'Certificate' : n), name);
		await a11y.audit(page, `${name} at 200 %`);
	}
	const caLink = page.getByRole('table').getByRole('link', { name: caName, exact: true }).first();
	await a11y.tabTo(page, caLink, `the link to ${caName}`);
	await kb.press('Enter');
	await page.getByRole('heading', { name: caName, exact: true }).waitFor();
	await a11y.audit(page, "a CA's page at 200 %");
	await a11y.tabTo(page, page.getByRole('link', { name: 'Request certificate', exact: true }),
	                 'Request certificate');
	await kb.press('Enter');
	await page.getByLabel('CSR (PEM)', { exact: true }).waitFor();
	await a11y.audit(page, 'Request certificate at 200 %');
	await a11y.tabTo(page, nav('Certificate Authorities'), 'Certificate Authorities in the navigation',
	                 'Shift+Tab');
	await kb.press('Enter');
	const create = page.getByRole('link', { name: 'Create CA', exact: true });
	await a11y.tabTo(page, create, 'Create CA');
	await kb.press('Enter');
	await page.getByRole('button', { name: 'Next', exact: true }).waitFor();
	await a11y.audit(page, 'Create CA wizard at 200 %');
	await more(page, t, spareId, spareName);
	t.check(true, 'the admin path works by keyboard alone at 200 % zoom, the focus always visible');
}
