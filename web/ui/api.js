// The /ui dashboard's calls to the server's API (web/ui/api.js): one request, its errors as
// readable messages, and the control token that a server started with --control-token wants
// on every /_mock request (asked for after a 401, kept for the browser tab).

export class ApiError extends Error {}

const TOKEN_KEY = 'mockcloud-control-token';
let controlToken = sessionStorage.getItem(TOKEN_KEY) || '';
let unauthorized = () => {};

/// Sets the token the /_mock requests carry from now on.
export function setControlToken(token) {
  controlToken = token;
  sessionStorage.setItem(TOKEN_KEY, token);
}

/// `handler` runs when a /_mock request answers 401: the server wants a (another) token.
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/// What a failed answer says: FastAPI's {"detail": "..."} or the messages of a 422's list.
function detailOf(status, text) {
  try {
    const detail = JSON.parse(text).detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg}`).join('; ');
  } catch {
    // not JSON: the text itself
  }
  return text || `HTTP ${status}`;
}

/// One request: {json, total} (X-Total-Count), or an ApiError saying what went wrong.
export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (controlToken && path.startsWith('/_mock')) init.headers.Authorization = `Bearer ${controlToken}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(`${method} ${path}: the server did not answer (${e.message})`);
  }
  const text = await res.text();
  if (res.status === 401 && path.startsWith('/_mock')) unauthorized();
  if (!res.ok) throw new ApiError(`${method} ${path}: ${res.status} ${detailOf(res.status, text)}`);
  const total = res.headers.get('X-Total-Count');
  return { json: text ? JSON.parse(text) : null, total: total === null ? null : Number(total) };
}
