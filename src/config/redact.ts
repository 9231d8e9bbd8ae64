const SECRET_KEY = /(token|password|passwd|secret|credential|private_key_data|api_key|access_key)/i;
export const REDACTED = '<redacted>';
/** The password of a URL (raylaunch.gcs_storage: redis://user:password@host). */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i;

/**
 * A deep copy with secrets replaced: whole credential blocks (aws_credentials, gcp_credentials) and any key named
 * like a token, password, secret or credential, and the password in a URL. Paths to key files are kept: they are not
 * secret.
 */
export function redact<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'string') return v.replace(URL_PASSWORD, `$1${REDACTED}@`);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) && x !== null && x !== undefined ? REDACTED : walk(x)]));
  };
  return walk(value) as T;
}
