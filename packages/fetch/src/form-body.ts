/**
 * The largest form body read for an `access_token` field (RFC 6750 §2.2, with `allowBodyToken`). A
 * token is at most 16,384 characters (the core's `maxTokenLength`); a larger body is not read at all,
 * so a client cannot make the guard buffer megabytes before the token is even checked. Such a request
 * is then treated as carrying no body token.
 */
export const MAX_FORM_BODY_BYTES = 64 * 1024;

/** The `access_token` field of a form body: one value, a list when repeated (the layer refuses that), or none. */
export type FormBodyFields = { readonly access_token?: string | readonly string[] };

/**
 * Reads an `application/x-www-form-urlencoded` body from a clone of `request`, so that the application
 * can still read the original. Reads at most {@link MAX_FORM_BODY_BYTES} bytes (refusing at once a
 * declared `Content-Length` above it); returns undefined when the body is absent, already consumed, or
 * too large. Only the `access_token` field is kept.
 */
export async function readFormBody(
  request: Request,
  limit = MAX_FORM_BODY_BYTES,
): Promise<FormBodyFields | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (request.body === null || request.bodyUsed) return undefined;
  const stream = request.clone().body;
  if (stream === null) return undefined;
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Cancelling this branch of the tee stops it from buffering the rest; the original stays readable.
      // Not awaited: a tee branch's cancel settles only once the other branch is done too.
      reader.cancel().catch(() => {});
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  const values = new URLSearchParams(text).getAll('access_token');
  if (values.length === 0) return {};
  return { access_token: values.length === 1 ? (values[0] as string) : values };
}
