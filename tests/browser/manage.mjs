// The portal's management steps, driven by portal.mjs (flow mode) in the
// admin's session: a CA's settings saved with If-Match and the 412 merge
// view, Disable and Renew through their dialogs, a certificate's hold
// released, a token created (its secret shown once), edited and deleted,
// a CA that issued refused deletion; and the throw-away CA that
// keyboard.mjs deletes. Each step checks what the page shows and what the
// API then answers (page.request with the session's cookie and its CSRF
// token).
//
// t: { base, check, waitFor, selectContaining } from portal.mjs.

import * as a11y from './a11y.mjs';

async function csrf(page, t) {
	const r = await page.request.get(`${t.base}/api/v1/sessions/current`);
	if (r.status() !== 200)
		throw new Error(`GET /api/v1/sessions/current: ${r.status()}`);
	return (await r.json()).csrf_token;
}

export async function apiJson(page, t, path) {
	const r = await page.request.get(`${t.base}${path}`);
	if (r.status() !== 200)
		throw new Error(`GET ${path}: ${r.status()}`);
	return r.json();
}

export async function route(page, hash) {
	await page.evaluate((h) => { location.hash = h; }, hash);
}

// The If-Match of the next PATCH of path the page sends, while action runs.
async function ifMatchOf(page, t, path, action) {
	const req = page.waitForRequest((r) => r.method() === 'PATCH' && r.url() === `${t.base}${path}`);
	await action();
	return (await req).headers()['if-match'] || '';
}

// A CA's settings: one lifecycle setting changed and saved (PATCH with
// If-Match); then, with the form loaded, the CA changed from outside the
// page: the save answers 412 and the page lists the other change, keeps
// the admin's own, and saving again stores both.
export async function caSettings(page, t, caId, caName) {
	const path = `/api/v1/cas/${caId}`;
	await route(page, `#/cas/${caId}`);
	await page.getByRole('heading', { name: caName, exact: true }).waitFor();
	await page.getByRole('link', { name: 'Edit settings', exact: true }).click();
	const form = page.getByRole('form', { name: 'CA settings' });
	await form.waitFor();
	await a11y.audit(page, "a CA's settings");
	const threshold = form.getByLabel('Threshold (% of the lifetime used)', { exact: true });
	const emails = form.getByLabel('Notification e-mails', { exact: true });
	const save = form.getByRole('button', { name: 'Save settings', exact: true });
	await threshold.fill('75');
	const tag = await ifMatchOf(page, t, path, () => save.click());
	t.check(tag !== '', `the settings' PATCH carries If-Match (${tag})`);
	await t.waitFor('the API has the threshold saved in the page (75)', async () =>
		(await apiJson(page, t, path)).lifecycle?.threshold_percent === 75);
	await page.locator('#live').filter({ hasText: 'Settings saved.' }).waitFor();

	// the page holds the saved version; someone else changes the e-mails
	const before = (await apiJson(page, t, path)).lifecycle.notification_emails;
	await threshold.fill('70');
	const head = await page.request.get(`${t.base}${path}`);
	const other = await page.request.patch(`${t.base}${path}`, {
		headers: { 'X-CSRF-Token': await csrf(page, t), 'If-Match': head.headers().etag },
		data: { lifecycle: { notification_emails: ['ops@example.com'] } } });
	t.check(other.status() === 200, `the CA changed from outside the page (${other.status()})`);
	await save.click();
	await page.getByRole('alert').filter({ hasText: 'Someone else changed this CA' }).waitFor();
	await form.getByRole('heading', { name: 'Changed by someone else', exact: true }).waitFor();
	const diff = `Notification e-mails: ${before.join(', ') || 'none'} → ops@example.com`;
	await form.getByRole('listitem').filter({ hasText: diff }).waitFor();
	t.check(await form.getByRole('listitem').count() === 1,
	        `the 412 merge view lists the other change alone (${diff})`);
	t.check(await threshold.inputValue() === '70' && await emails.inputValue() === 'ops@example.com',
	        "the form keeps the admin's threshold and shows the other e-mail");
	t.check((await apiJson(page, t, path)).lifecycle.threshold_percent === 75,
	        'the refused save stored nothing');
	await a11y.audit(page, "a CA's settings, the 412 merge view");
	await save.click();
	await t.waitFor('after the merge the API has both changes (threshold 70, ops@example.com)',
	                async () => {
		const l = (await apiJson(page, t, path)).lifecycle;
		return l.threshold_percent === 70 && l.notification_emails.join() === 'ops@example.com';
	});
	await form.getByRole('heading', { name: 'Changed by someone else' }).waitFor({ state: 'hidden' });
}

// A certificate put on hold in the page (certificateHold) and released
// from its page: valid again, and the audit trail has the unrevoke.
export async function releaseHold(page, t, caId, csrPem) {
	const issued = await page.request.post(`${t.base}/api/v1/cas/${caId}/certificates`, {
		headers: { 'X-CSRF-Token': await csrf(page, t) }, data: { csr: csrPem } });
	t.check(issued.status() === 201, `a second certificate issued for the hold (${issued.status()})`);
	const serial = (await issued.json()).serial_number;
	const path = `/api/v1/cas/${caId}/certificates/${serial}`;
	await route(page, `#/certificates/${caId}/${serial}`);
	const revoke = page.getByRole('button', { name: 'Revoke', exact: true });
	await revoke.click();
	const dialog = page.getByRole('dialog');
	await dialog.waitFor();
	await t.selectContaining(dialog.getByLabel('Reason', { exact: true }), 'certificateHold');
	await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	await t.waitFor('the API has the certificate on hold (certificateHold)', async () => {
		const c = await apiJson(page, t, path);
		return c.status === 'revoked' && c.revocation?.reason === 'certificateHold';
	});
	const release = page.getByRole('button', { name: 'Release hold', exact: true });
	await release.waitFor();
	await a11y.audit(page, 'a certificate on hold');
	await release.click();
	await t.waitFor('after Release hold the API has the certificate valid',
	                async () => (await apiJson(page, t, path)).status === 'valid');
	await revoke.waitFor();
	await page.getByRole('table', { name: 'Audit entries of this certificate' })
	    .getByRole('cell', { name: 'certificate.unrevoke', exact: true }).waitFor();
	const q = new URLSearchParams({ object_id: `${caId}/${serial}`, limit: '50' });
	const audit = await apiJson(page, t, `/api/v1/audit?${q}`);
	t.check(audit.items.some((e) => e.action === 'certificate.unrevoke'),
	        "the certificate's page and the audit trail show certificate.unrevoke");
}

// A token created on the Tokens page (its secret shown once, not after a
// reload), edited (e-mail, limited to one CA) with If-Match, deleted.
export async function tokens(page, t, name, caId) {
	const find = async () => (await apiJson(page, t, '/api/v1/tokens?limit=100'))
	    .items.find((x) => x.name === name) || null;
	await route(page, '#/tokens');
	const create = page.getByRole('form', { name: 'Create token' });
	await create.waitFor();
	await a11y.audit(page, 'Tokens');
	await create.getByLabel('Name', { exact: true }).fill(name);
	await create.getByLabel('Role', { exact: true }).selectOption('requester');
	await create.getByRole('button', { name: 'Create token', exact: true }).click();
	const shown = page.getByRole('status').filter({ hasText: `Token ${name} created` });
	await shown.waitFor();
	const secret = ((await shown.locator('code').textContent()) || '').trim();
	const made = await find();
	t.check(secret.length >= 20 && made !== null && made.role === 'requester',
	        `the token ${name} is made and its secret shown (${secret.length} characters)`);
	await page.reload();
	const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: name });
	await row.waitFor();
	await a11y.audit(page, 'Tokens, reloaded');
	t.check(!(await page.content()).includes(secret) &&
	        await page.getByText('Copy its secret now').count() === 0,
	        'after a reload the secret is not shown again');

	await page.getByRole('button', { name: `Edit ${name}`, exact: true }).click();
	const dialog = page.getByRole('dialog');
	await dialog.getByRole('button', { name: 'Save token', exact: true }).waitFor();
	await a11y.audit(page, 'the Edit token dialog');
	await dialog.getByLabel('E-mail', { exact: true }).fill('device-ops@example.com');
	await dialog.getByLabel('All CAs', { exact: true }).uncheck();
	await dialog.getByLabel('Limited to CAs', { exact: true }).selectOption(caId);
	const tag = await ifMatchOf(page, t, `/api/v1/tokens/${made.id}`,
	                            () => dialog.getByRole('button', { name: 'Save token', exact: true }).click());
	await dialog.waitFor({ state: 'hidden' });
	await row.filter({ hasText: 'device-ops@example.com' }).filter({ hasText: '1 CA(s)' }).waitFor();
	const edited = await find();
	t.check(tag !== '' && edited.email === 'device-ops@example.com' &&
	        JSON.stringify(edited.ca_ids) === JSON.stringify([caId]),
	        `the token edited with If-Match (${tag}): the API has its e-mail and its one CA`);

	await page.getByRole('button', { name: `Delete ${name}`, exact: true }).click();
	await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	await row.waitFor({ state: 'detached' });
	const gone = await page.request.get(`${t.base}/api/v1/tokens/${made.id}`);
	t.check(gone.status() === 404 && await find() === null,
	        `the deleted token is gone from the page and the API (${gone.status()})`);
}

// A CA that issued refuses Delete CA: the dialog shows the 409's detail
// and keeps its Delete CA button off.
export async function deleteRefused(page, t, caId, caName) {
	await route(page, `#/cas/${caId}`);
	await page.getByRole('heading', { name: caName, exact: true }).waitFor();
	await page.getByRole('button', { name: 'Delete CA', exact: true }).waitFor();
	t.check(await page.getByRole('button', { name: 'Renew', exact: true }).count() === 0,
	        'a root CA offers no Renew (the API does not renew roots)');
	await page.getByRole('button', { name: 'Delete CA', exact: true }).click();
	const dialog = page.getByRole('dialog');
	await dialog.waitFor();
	await a11y.audit(page, 'the Delete CA dialog');
	const confirm = dialog.getByRole('button', { name: 'Delete CA', exact: true });
	await confirm.click();
	await dialog.getByRole('alert').filter({ hasText: 'cannot be deleted: it has' }).waitFor();
	t.check(await confirm.isDisabled(), 'a CA that issued: the dialog shows the refusal (409 ca-has-issued) ' +
	        'and Delete CA is off');
	await a11y.audit(page, 'the Delete CA dialog, refused');
	await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	const still = await page.request.get(`${t.base}/api/v1/cas/${caId}`);
	t.check(still.status() === 200, `the CA is still there (${still.status()})`);
}

// Disable and Renew ask first. Disable: a reason the API refuses (a
// control character) shows its problem at the Reason field and changes
// nothing; a plain one disables the CA (the audit trail's ca.disable has
// it, the CA's page shows when, by whom and why); Enable brings it back at
// once, the note gone. Renew: the dialog says what renewing
// does, Cancel closes it and the CA's certificates stay as they were.
export async function caConfirm(page, t, caId, caName) {
	const path = `/api/v1/cas/${caId}`;
	await route(page, `#/cas/${caId}`);
	await page.getByRole('heading', { name: caName, exact: true }).waitFor();
	const button = (name) => page.getByRole('main').getByRole('button', { name, exact: true });
	const dialog = page.getByRole('dialog');
	await button('Disable').click();
	await dialog.waitFor();
	await a11y.audit(page, 'the Disable dialog');
	const reason = dialog.getByLabel('Reason', { exact: true });
	await reason.fill('rotating\tkeys');
	await dialog.getByRole('button', { name: 'Disable CA', exact: true }).click();
	await dialog.getByText('control characters', { exact: false }).first().waitFor();
	t.check(await reason.getAttribute('aria-invalid') === 'true' &&
	        (await apiJson(page, t, path)).status === 'active',
	        "a reason the API refuses: its problem shown at the Reason field, the CA still active");
	await a11y.audit(page, 'the Disable dialog, its reason refused');
	const text = `maintenance window ${Date.now()}`;
	await reason.fill(text);
	await dialog.getByRole('button', { name: 'Disable CA', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	await button('Enable').waitFor();
	const q = new URLSearchParams({ object_id: caId, action: 'ca.disable', limit: '10' });
	const off = await apiJson(page, t, path);
	t.check(off.status === 'disabled' && off.disabled?.reason === text &&
	        (await apiJson(page, t, `/api/v1/audit?${q}`)).items.some((e) => e.details?.reason === text),
	        `Disable CA: the API has the CA disabled with the reason, its ca.disable too (${text})`);
	const note = page.getByRole('main').locator('.status-line');
	const shown = await note.textContent();
	t.check(/Disabled \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/.test(shown) &&
	        shown.includes(` by ${off.disabled.by}: ${text}`),
	        `the CA's page shows when, by whom and why it was disabled (${shown})`);
	await button('Enable').click();
	await button('Disable').waitFor();
	t.check((await apiJson(page, t, path)).status === 'active', 'Enable, no dialog: the CA is active again');
	t.check(!(await note.textContent()).includes('Disabled'),
	        "Enable: the CA's page no longer says it is disabled");

	const serials = async () => (await apiJson(page, t, path)).locations.map((l) => l.serial_number).join();
	const before = await serials();
	await button('Renew').click();
	await dialog.waitFor();
	await dialog.getByText('a new key and a new certificate', { exact: false }).waitFor();
	await a11y.audit(page, 'the Renew dialog');
	await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
	await dialog.waitFor({ state: 'hidden' });
	t.check(await button('Renew').evaluate((e) => e === document.activeElement),
	        'Cancel closes the Renew dialog, the focus back on Renew');
	t.check(await serials() === before, `Renew cancelled: the locations' certificates unchanged (${before})`);
}

// A throw-away root CA for the keyboard pass, made through the API without
// CRLs (a CA with a CRL has issued: it cannot be deleted).
export async function throwAwayCa(page, t, name, parentId) {
	const r = await page.request.post(`${t.base}/api/v1/cas`, {
		headers: { 'X-CSRF-Token': await csrf(page, t) },
		// a subordinate (a root offers no Renew) without CRLs (it stays deletable)
		data: { common_name: name, kind: 'subordinate', parent_ca_id: parentId, crl: { enabled: false } } });
	if (r.status() !== 201)
		throw new Error(`POST /api/v1/cas: ${r.status()} ${await r.text()}`);
	return (await r.json()).id;
}
