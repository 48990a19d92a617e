import { createServer } from 'node:http';
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
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(401);
      // WHATWG Headers joins repeated field lines with ", ".
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api", DPoP algs="ES256"');
      expect(response.headers.get('content-length')).toBe('24');
      expect(await response.text()).toBe('{"error":"unauthorized"}');
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
