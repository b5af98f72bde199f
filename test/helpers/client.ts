// A minimal HTTP client for tests: JSON in, status + JSON out, as a user's program would see it.
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Client {
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<Reply<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  delete<T = any>(path: string, headers?: Record<string, string>): Promise<Reply<T>>;
}

export function client(baseUrl: string, auth: Record<string, string> = {}): Client {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...auth, ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    request,
    get: (p, h) => request("GET", p, undefined, h),
    post: (p, b, h) => request("POST", p, b ?? {}, h),
    put: (p, b, h) => request("PUT", p, b ?? {}, h),
    delete: (p, h) => request("DELETE", p, undefined, h),
  };
}

let counter = 0;
/** Signs up a new user and returns a client authenticated as them; `extra` adds fields (e.g. `setup_token`). */
export async function signUp(
  baseUrl: string,
  email = `user${Date.now()}-${counter++}@example.com`,
  extra: Record<string, unknown> = {},
) {
  const res = await client(baseUrl).post("/api/auth/signup", { email, password: "correct horse battery", ...extra });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    email,
    password: "correct horse battery",
    user: res.body.user,
    tokens: res.body,
    api: client(baseUrl, { authorization: `Bearer ${res.body.access_token}` }),
  };
}

/** Creates an API key for a signed-up user; returns the plain key and a client using it. */
export async function createKey(baseUrl: string, session: Client, permissions: string[], name = "test key") {
  const res = await session.post("/api/api-keys", { name, permissions });
  if (res.status !== 200) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    key: res.body.plain_text_key as string,
    info: res.body.api_key,
    api: client(baseUrl, { "x-api-key": res.body.plain_text_key }),
  };
}
