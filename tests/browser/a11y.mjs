// The portal's accessibility and layout checks, run by portal.mjs (flow
// mode) on every page it visits: accessible names of fields, buttons,
// links and images; no layout shift while a page loads; at 640x400 (a
// 1280x800 screen at 200 % zoom) no horizontal scrolling of the document
// and no clipped text in the header and navigation; a visible focus on
// whatever Tab reaches; the portal's security headers and its refusal to
// be framed. Each check throws with the page, the element and what fails.

import { createServer } from 'node:http';

// The exact policy of docs/security.md (api/rest/ui.c).
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'";

// Layout shifts are summed per page load: from the document's start, and
// from each hash change (the portal's pages are hash routes), to the
// page's first audit; all of them count, even within 500 ms of the click
// or key that asked for the page (which the CLS metric would leave out,
// and a hash route loads within that). Later audits of the same page (the
// wizard's steps) count only the shifts no input asked for, as CLS does:
// a step that shows more fields moves what follows by design. Installed
// with addInitScript, so the observer is there before the portal's first
// byte.
export function installShiftObserver() {
	window.__edgecaShifts = [];
	window.__edgecaShiftStart = 0;
	window.__edgecaLoading = true;
	window.addEventListener('hashchange', () => {
		window.__edgecaShiftStart = window.__edgecaShifts.length;
		window.__edgecaLoading = true;
	}, true);
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) {
			window.__edgecaShifts.push({
				value: e.value,
				input: e.hadRecentInput,
				sources: (e.sources || []).map((s) => {
					const n = s.node;
					const what = n && n.nodeType === 1
					    ? `${n.tagName.toLowerCase()}${n.id ? '#' + n.id : ''}` +
					      `${n.className ? '.' + String(n.className).split(' ').join('.') : ''}`
					    : (n ? `text "${String(n.textContent).slice(0, 30)}"` : '?');
					return `${what} ${JSON.stringify(s.previousRect)} -> ${JSON.stringify(s.currentRect)}`;
				}),
			});
		}
	}).observe({ type: 'layout-shift', buffered: true });
}

// Two animation frames: what the page laid out has been painted, so the
// layout-shift entries of that paint have been delivered.
async function settle(page) {
	await page.evaluate(() => new Promise((r) =>
		requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));
}

function fail(where, what, items) {
	throw new Error(`check failed: ${where}: ${what}:\n    ${items.join('\n    ')}`);
}

// Every field (not type=hidden) has an accessible name from aria-labelledby,
// aria-label, a <label> or title (a placeholder is not a name); every
// button, link and summary has one; every image has an alt attribute.
async function names(page, where) {
	const bad = await page.evaluate(() => {
		const describe = (el) => {
			const html = el.outerHTML.replace(/\s+/g, ' ');
			return html.length > 140 ? html.slice(0, 140) + '…' : html;
		};
		const text = (el) => (el ? (el.innerText || el.textContent || '') : '').trim();
		const labelled = (el) => (el.getAttribute('aria-labelledby') || '').split(/\s+/)
		    .filter(Boolean).map((id) => text(document.getElementById(id))).join(' ').trim();
		const name = (el) => labelled(el) || (el.getAttribute('aria-label') || '').trim() ||
		    [...(el.labels || [])].map(text).join(' ').trim() ||
		    (el.getAttribute('title') || '').trim();
		const content = (el) => text(el) ||
		    [...el.querySelectorAll('img[alt]')].map((i) => i.alt.trim()).join(' ').trim();
		const out = [];
		for (const el of document.querySelectorAll('input, select, textarea')) {
			if (el.type === 'hidden')
				continue;
			if (el.type === 'submit' || el.type === 'button' || el.type === 'reset') {
				if (!name(el) && !(el.value || '').trim())
					out.push(`input button without a name: ${describe(el)}`);
			} else if (!name(el)) {
				out.push(`field without a label: ${describe(el)}`);
			}
		}
		for (const el of document.querySelectorAll('button, a[href], summary, [role="button"], [role="link"]'))
			if (!name(el) && !content(el))
				out.push(`${el.tagName.toLowerCase()} without a name: ${describe(el)}`);
		for (const el of document.querySelectorAll('img, [role="img"], svg'))
			if (el.tagName === 'IMG' ? !el.hasAttribute('alt')
			    : (el.getAttribute('aria-hidden') !== 'true' && !name(el)))
				out.push(`image without alt text: ${describe(el)}`);
		return out;
	});
	if (bad.length > 0)
		fail(where, 'unnamed elements', bad);
}

// The shifts of this page's load so far (none allowed: the portal reserves
// the header's and navigation's space and replaces <main>'s content at once).
async function shifts(page, where) {
	await settle(page);
	const got = await page.evaluate(() => {
		const loading = window.__edgecaLoading;
		const all = window.__edgecaShifts.slice(window.__edgecaShiftStart);
		window.__edgecaShiftStart = window.__edgecaShifts.length;
		window.__edgecaLoading = false;
		return all.filter((e) => loading || !e.input);
	});
	const total = got.reduce((a, e) => a + e.value, 0);
	if (total > 0)
		fail(where, `cumulative layout shift ${total.toFixed(4)} while the page loaded (must be 0)`,
		     got.flatMap((e) => [`shift ${e.value.toFixed(4)}:`, ...e.sources.map((s) => `  ${s}`)]));
}

// At the page's viewport (640x400 in the zoom pass): the document does not
// scroll sideways; the header's and navigation's texts are whole (not cut
// by their box or the viewport); a table wider than the viewport scrolls
// inside a container of its own.
async function reflow(page, where) {
	const bad = await page.evaluate(() => {
		const out = [];
		const doc = document.documentElement;
		if (doc.scrollWidth > window.innerWidth)
			out.push(`the document scrolls sideways: scrollWidth ${doc.scrollWidth} > ` +
			         `innerWidth ${window.innerWidth}`);
		for (const el of document.querySelectorAll('header *, nav *')) {
			const r = el.getBoundingClientRect();
			const cs = getComputedStyle(el);
			if (r.width === 0 || cs.visibility === 'hidden' || !el.textContent.trim())
				continue;
			if (r.left < 0 || r.right > window.innerWidth + 0.5)
				out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ` +
				         `is outside the viewport (${r.left.toFixed(0)}..${r.right.toFixed(0)})`);
			if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
				out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ` +
				         `clips its text (${el.scrollWidth} > ${el.clientWidth})`);
		}
		for (const t of document.querySelectorAll('main table')) {
			if (t.getBoundingClientRect().width <= window.innerWidth)
				continue;
			let p = t.parentElement, ok = false;
			for (; p && p !== document.body && !ok; p = p.parentElement)
				ok = /auto|scroll/.test(getComputedStyle(p).overflowX);
			if (!ok)
				out.push(`a table ${t.getBoundingClientRect().width.toFixed(0)} px wide has no ` +
				         'container that scrolls it');
		}
		return out;
	});
	if (bad.length > 0)
		fail(where, `layout at ${page.viewportSize().width}x${page.viewportSize().height}`, bad);
}

// The checks of a page once its main content shows: names and layout
// shifts always, reflow when the viewport is the 200 % zoom one.
export async function audit(page, where) {
	await names(page, where);
	await shifts(page, where);
	if (page.viewportSize().width <= 640)
		await reflow(page, where);
	console.log(`ok: ${where}: labelled, no layout shift` +
	            `${page.viewportSize().width <= 640 ? ', no sideways scrolling at 200 %' : ''}`);
}

// What has the focus, with whether it shows it: matches :focus-visible
// and has an outline (style not none, width > 0) or a box-shadow, and a
// box with a size.
export async function focused(page) {
	return page.evaluate(() => {
		const el = document.activeElement;
		if (!el || el === document.body)
			return { name: '(nothing)', visible: false, why: 'the focus is on the body' };
		const cs = getComputedStyle(el);
		const r = el.getBoundingClientRect();
		const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
		const shadow = cs.boxShadow && cs.boxShadow !== 'none';
		const fv = el.matches(':focus-visible');
		const name = `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ||
		    el.textContent || el.name || el.id || '').trim().slice(0, 40)}"`;
		return { name, visible: fv && (outline || shadow) && r.width > 0 && r.height > 0,
		         why: `:focus-visible ${fv}, outline ${cs.outlineStyle} ${cs.outlineWidth}, ` +
		              `box-shadow ${cs.boxShadow}, box ${r.width}x${r.height}` };
	});
}

// Presses key (Tab, Shift+Tab) until the element target has the focus,
// checking at each stop that the focus is visible. Returns how many presses
// (0: it had the focus already).
export async function tabTo(page, target, what, key = 'Tab', max = 40) {
	if (await target.evaluate((e) => e === document.activeElement))
		return 0;
	for (let i = 1; i <= max; i++) {
		await page.keyboard.press(key);
		const f = await focused(page);
		if (!f.visible)
			throw new Error(`check failed: ${what}: after ${i} ${key}, the focus on ${f.name} ` +
			                `is not visible (${f.why})`);
		if (await target.evaluate((e) => e === document.activeElement))
			return i;
	}
	throw new Error(`check failed: ${what}: not reached with ${max} ${key}`);
}

// The headers of the portal's answers, and a page of another origin that
// tries to frame the portal: the frame stays empty and Chromium says why.
export async function headers(browser, page, base) {
	for (const path of ['/ui/', '/ui/app.js', '/ui/style.css', '/ui/cas']) {
		const r = await page.request.get(`${base}${path}`);
		const h = r.headers();
		if (r.status() !== 200 || h['content-security-policy'] !== UI_CSP ||
		    h['x-frame-options'] !== 'DENY')
			throw new Error(`check failed: GET ${path}: ${r.status()}, ` +
			                `Content-Security-Policy "${h['content-security-policy']}", ` +
			                `X-Frame-Options "${h['x-frame-options']}"`);
	}
	console.log(`ok: /ui/ answers carry the exact CSP (frame-ancestors 'none') and X-Frame-Options DENY`);

	// A control frame of /healthz (served without X-Frame-Options or
	// frame-ancestors) shows the same page reaches the server and may frame
	// it; so the empty /ui/ frame is the portal's refusal, not a TLS or
	// network failure.
	const context = await browser.newContext();
	let server = null;
	try {
		const framer = await context.newPage();
		const refusals = [];
		framer.on('console', (m) => {
			if (/frame-ancestors|X-Frame-Options|Refused to (display|frame)/i.test(m.text()))
				refusals.push(m.text());
		});
		const failed = [];
		framer.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
		const html = '<!doctype html><title>framer</title>' +
		    `<iframe id="control" src="${base}/healthz"></iframe><iframe id="ui" src="${base}/ui/"></iframe>`;
		// served from another origin on the loopback (a data: page may not
		// reach a loopback address at all: Chromium's local network checks)
		server = createServer((_req, res) => {
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
			res.end(html);
		});
		await new Promise((r) => server.listen(0, '127.0.0.1', r));
		await framer.goto(`http://127.0.0.1:${server.address().port}/framer.html`);
		const frameOf = async (id) => (await framer.waitForSelector(`#${id}`)).contentFrame();
		let control = null, ui = null;
		const deadline = Date.now() + 15000;
		for (;;) { // until both frames have left about:blank
			control = await frameOf('control');
			ui = await frameOf('ui');
			if ((control && ui && control.url() !== 'about:blank' && ui.url() !== 'about:blank') ||
			    Date.now() > deadline)
				break;
			await new Promise((r) => setTimeout(r, 100)); // polls the frames
		}
		const text = async (f) => (f ? f.evaluate(() => document.body ? document.body.innerText : '')
		    .catch(() => '') : '');
		const controlShown = control && control.url() === `${base}/healthz` &&
		    /"status"/.test(await text(control));
		const shown = ui ? await ui.evaluate(() => !!document.getElementById('nav'))
		    .catch(() => false) : false;
		const url = ui ? ui.url() : '(no frame)';
		if (!controlShown || shown || url === `${base}/ui/`)
			throw new Error(`check failed: a page of another origin framing /ui/: control frame of /healthz ` +
			                `${controlShown ? 'shown' : `not shown (${control && control.url()})`}, ` +
			                `/ui/ frame at ${url}, portal shown in it: ${shown}; failed: ${failed.join('; ')}`);
		console.log(`ok: a page framing /ui/ gets an empty frame (${url}) where /healthz shows` +
		            `${refusals.length ? ': ' + refusals[0].split('\n')[0].slice(0, 120) : ''}`);
	} finally {
		await context.close();
		if (server)
			server.close();
	}
}
