import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendAnswer } from './send-answer.js';

describe('sendAnswer', () => {
  it('sends each challenge of the list as its own WWW-Authenticate field line', async () => {
    const server = createServer((_req, res) => {
      sendAnswer(res, {
        status: 401,
        headers: {
          'WWW-Authenticate': ['Bearer realm="api"', 'DPoP algs="ES256"'],
          'Cache-Control': 'no-store',
          'Content-Type': 'application/json; charset=utf-8',
        },
        body: '{"error":"unauthorized"}',
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await new Promise<IncomingMessage>((resolve, reject) =>
        get({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject),
      );
      let body = '';
      for await (const chunk of response) body += String(chunk);
      expect(response.statusCode).toBe(401);
      const lines = response.rawHeaders.filter(
        (_, i) => i % 2 === 0 && response.rawHeaders[i] === 'WWW-Authenticate',
      );
      expect(lines).toHaveLength(2);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api", DPoP algs="ES256"');
      expect(response.headers['content-length']).toBe('24');
      expect(body).toBe('{"error":"unauthorized"}');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('writes nothing once the head is sent', () => {
    const res = { statusCode: 200, headersSent: true, setHeader: () => {}, end: () => {} };
    expect(sendAnswer(res, { status: 401, headers: {}, body: undefined })).toBe(false);
    expect(res.statusCode).toBe(200);
  });
});
