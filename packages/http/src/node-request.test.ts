import { describe, expect, it } from 'vitest';
import { nodeRequest } from './node-request.js';

describe('nodeRequest', () => {
  it('reads header values from rawHeaders, in any case, as a list when repeated', () => {
    const view = nodeRequest({
      method: 'POST',
      url: '/x?y=1',
      // What Node's req.headers makes of this: the first Authorization only.
      headers: { authorization: 'Basic a' },
      rawHeaders: ['Host', 'h', 'Authorization', 'Basic a', 'X-Other', 'z', 'AUTHORIZATION', 'Bearer b'],
    });
    expect(view.header('authorization')).toEqual(['Basic a', 'Bearer b']);
    expect(view.header('x-other')).toBe('z');
    expect(view.header('content-type')).toBeUndefined();
    expect(view.method).toBe('POST');
    expect(view.target).toBe('/x?y=1');
  });

  it('falls back to headers when there are no rawHeaders', () => {
    const view = nodeRequest({ headers: { authorization: 'Bearer a' } });
    expect(view.header('authorization')).toBe('Bearer a');
    expect(view.method).toBe('GET');
    expect(view.target).toBe('/');
  });

  it("prefers Express's originalUrl, and takes the body and URL the adapter knows", () => {
    const view = nodeRequest(
      { url: '/inner', originalUrl: '/mount/inner?q', headers: {}, body: { from: 'req' } },
      { url: 'https://api.example/mount/inner', body: { from: 'extras' } },
    );
    expect(view.target).toBe('/mount/inner?q');
    expect(view.url).toBe('https://api.example/mount/inner');
    expect(view.body).toEqual({ from: 'extras' });
    expect(nodeRequest({ headers: {}, body: 1 }).body).toBe(1);
  });

  it('exposes the TLS peer certificate (RFC 8705) only on an encrypted socket that has one', () => {
    const raw = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    let detailed: unknown;
    const tls = {
      encrypted: true,
      getPeerCertificate: (flag?: boolean) => {
        detailed = flag;
        return { raw, subject: {} };
      },
    };
    expect(nodeRequest({ headers: {}, socket: tls }).clientCertificate).toEqual({ raw, subject: {} });
    expect(detailed).toBe(true);
    // No certificate sent: Node answers {}.
    const none = { encrypted: true, getPeerCertificate: () => ({}) };
    expect(nodeRequest({ headers: {}, socket: none }).clientCertificate).toBeUndefined();
    // A plain TCP socket never has one, whatever it claims to offer.
    const plain = { getPeerCertificate: () => ({ raw }) };
    expect(nodeRequest({ headers: {}, socket: plain }).clientCertificate).toBeUndefined();
    expect(nodeRequest({ headers: {} }).clientCertificate).toBeUndefined();
  });
});
