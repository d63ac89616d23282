// The operators' dashboard: plain DOM, no framework, no build step. Every value from the registry
// is put on the page as text (textContent, text nodes), never as markup, so a service named
// `<img src=x onerror=…>` shows as those characters. The admin key stays in this tab's
// sessionStorage and travels only in the Authorization header of calls to this origin; the live
// feed is `/events` read with fetch, because EventSource cannot send that header.

const KEY_SLOT = 'waypost.adminKey';
const STATUSES = ['UP', 'DOWN', 'UNKNOWN', 'MAINTENANCE'];
const RECONNECT_MS = 1000;

let adminKey = sessionStorage.getItem(KEY_SLOT);
let feed = null;
const services = new Map();
const refreshes = new Map();

const $ = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes, never HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class SignedOut extends Error {}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${adminKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.status === 401) throw new SignedOut('the admin key was refused');
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new Error(answer?.message ?? `${method} ${path}: ${response.status}`);
  return answer;
}

// --- signing in and out -------------------------------------------------------------------

async function signIn(key) {
  adminKey = key;
  try {
    await api('GET', '/services');
  } catch (error) {
    adminKey = null;
    throw error;
  }
  sessionStorage.setItem(KEY_SLOT, key);
  showBoard();
}

function signOut(message = '') {
  adminKey = null;
  sessionStorage.removeItem(KEY_SLOT);
  feed?.abort();
  feed = null;
  services.clear();
  $('board').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  setLive(false);
}

function showBoard() {
  $('sign-in').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  $('admin-key').value = '';
  void loadAll();
  connect();
}

/** Any failure of a call: a refused key signs out, the rest is shown where the call was made. */
function failed(error, where) {
  if (error instanceof SignedOut) return signOut(error.message);
  if (where) where.textContent = error.message;
  else console.error(error);
}

// --- the data -----------------------------------------------------------------------------

async function loadAll() {
  try {
    const { services: summary } = await api('GET', '/services');
    const names = Object.keys(summary);
    for (const name of [...services.keys()]) if (!names.includes(name)) services.delete(name);
    await Promise.all(names.map(loadService));
    renderServices();
    await loadRoutes();
  } catch (error) {
    failed(error);
  }
}

async function loadService(name) {
  const { instances } = await api('GET', `/services/${encodeURIComponent(name)}`);
  if (instances.length === 0) services.delete(name);
  else services.set(name, instances);
}

/** One refresh per service however many events arrive in the same 50 ms. */
function refreshSoon(name) {
  if (refreshes.has(name)) return;
  refreshes.set(
    name,
    setTimeout(async () => {
      refreshes.delete(name);
      try {
        await loadService(name);
        renderServices();
      } catch (error) {
        failed(error);
      }
    }, 50),
  );
}

async function loadRoutes() {
  const { routes } = await api('GET', '/routes');
  const body = $('routes').tBodies[0];
  body.replaceChildren(
    ...routes.map((route) =>
      el(
        'tr',
        {},
        el('td', {}, route.host ?? '*'),
        el('td', {}, route.path),
        el('td', {}, route.methods ? route.methods.join(', ') : 'any'),
        el('td', {}, route.service ? `service ${route.service}` : route.backend),
        el('td', {}, route.origin),
        el('td', {}, route.id),
      ),
    ),
  );
}

// --- the live feed ------------------------------------------------------------------------

function setLive(on) {
  $('live').textContent = on ? 'live' : 'offline';
  $('live').className = `live ${on ? 'on' : 'off'}`;
}

/** Reads `/events` until it ends, then reloads everything and reads again. */
function connect() {
  const controller = new AbortController();
  feed = controller;
  (async () => {
    try {
      const response = await fetch('/events', {
        headers: { authorization: `Bearer ${adminKey}`, accept: 'text/event-stream' },
        signal: controller.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (response.status === 401) throw new SignedOut('the admin key was refused');
      if (!response.ok) throw new Error(`events: ${response.status}`);
      setLive(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error instanceof SignedOut) return signOut(error.message);
    }
    if (feed !== controller) return;
    setLive(false);
    setTimeout(() => {
      if (feed !== controller) return;
      void loadAll();
      connect();
    }, RECONNECT_MS);
  })();
}

function onEvent(block) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const payload = JSON.parse(data);
  if (event === 'reset') return void loadAll();
  if (event.startsWith('route')) return void loadRoutes().catch((error) => failed(error));
  const name = payload.instance?.serviceType;
  if (typeof name === 'string') refreshSoon(name);
}

// --- rendering ----------------------------------------------------------------------------

const statusBadge = (status) =>
  el('span', { class: `status status-${STATUSES.includes(status) ? status : 'UNKNOWN'}` }, status);

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');

function renderServices() {
  const names = [...services.keys()].sort();
  $('services').replaceChildren(
    ...(names.length === 0 ? [el('p', { class: 'hint' }, 'No service is registered.')] : []),
    ...names.map((name) => {
      const instances = services.get(name);
      const up = instances.filter((i) => i.status === 'UP').length;
      return el(
        'div',
        { class: 'service', 'data-service': name },
        el('h3', {}, name, ` — ${up}/${instances.length} up`),
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...['status', 'url', 'last check', 'response', 'failures', 'zone', 'version', ''].map(
                (h) => el('th', {}, h),
              ),
            ),
          ),
          el('tbody', {}, ...instances.map(instanceRow)),
        ),
      );
    }),
  );
}

function instanceRow(instance) {
  const draining = instance.status === 'MAINTENANCE';
  const message = el('span', { class: 'error' });
  const timeline = el('ul', { class: 'timeline' });
  const details = el(
    'details',
    {
      ontoggle: () => {
        if (details.open) void loadTimeline(instance.id, timeline);
      },
    },
    el('summary', {}, 'timeline'),
    timeline,
  );
  return el(
    'tr',
    { 'data-instance': instance.id },
    el('td', {}, statusBadge(instance.status)),
    el('td', {}, instance.url, el('div', { class: 'hint' }, instance.id), details),
    el('td', {}, time(instance.lastCheckAt)),
    el('td', {}, instance.responseTimeMs === null ? '—' : `${instance.responseTimeMs} ms`),
    el('td', {}, instance.consecutiveFailures),
    el('td', {}, instance.zone ?? '—'),
    el('td', {}, instance.version ?? '—'),
    el(
      'td',
      {},
      el(
        'button',
        {
          type: 'button',
          class: draining ? 'undrain' : 'drain',
          onclick: async () => {
            try {
              await api('PATCH', `/service/${encodeURIComponent(instance.id)}`, {
                status: draining ? 'UP' : 'MAINTENANCE',
              });
            } catch (error) {
              failed(error, message);
            }
          },
        },
        draining ? 'Undrain' : 'Drain',
      ),
      message,
    ),
  );
}

async function loadTimeline(id, list) {
  try {
    const { history } = await api('GET', `/service/${encodeURIComponent(id)}/history`);
    list.replaceChildren(
      ...(history.length === 0 ? [el('li', {}, 'no change yet')] : []),
      ...history.map((entry) =>
        el(
          'li',
          {},
          `${time(entry.at)} ${entry.from} → ${entry.to} (${entry.reason})`,
          entry.detail ? `: ${entry.detail}` : '',
        ),
      ),
    );
  } catch (error) {
    failed(error, list);
  }
}

async function explain(event) {
  event.preventDefault();
  const query = new URLSearchParams({
    method: $('explain-method').value,
    host: $('explain-host').value,
    path: $('explain-path').value,
  });
  const out = $('explanation');
  try {
    const answer = await api('GET', `/routes/explain?${query}`);
    out.replaceChildren(
      el(
        'p',
        { class: 'verdict' },
        `answer ${answer.answer}`,
        answer.match ? ` — route ${answer.match.id} (${answer.match.path})` : ' — no route matches',
        answer.next ? `, next instance ${answer.next}` : '',
      ),
      el(
        'ul',
        {},
        ...answer.candidates.map((c) =>
          el('li', {}, `${c.route.host ?? '*'} ${c.route.path}: ${c.matches ? 'matches' : c.why}`),
        ),
        ...answer.instances.map((i) =>
          el('li', {}, `${i.id} ${i.status}: ${i.eligible ? 'eligible' : i.why}`),
        ),
      ),
      el('pre', {}, JSON.stringify(answer, null, 2)),
    );
  } catch (error) {
    failed(error, out);
  }
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await signIn($('admin-key').value);
  } catch (error) {
    $('sign-in-error').textContent =
      error instanceof SignedOut ? 'That is not the admin key.' : error.message;
  }
});
$('sign-out').addEventListener('click', () => signOut());
$('explain-form').addEventListener('submit', explain);
if (adminKey) showBoard();
