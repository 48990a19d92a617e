// The integration test the README shows a user, kept here so the README stays true.
import { authenticate, requireScope } from '@scopeguard/express';
import { createTestIssuer } from '@scopeguard/testing';
import express from 'express';
import request from 'supertest';
import { expect, it } from 'vitest';

it('guards /messages with customScope', async () => {
  const issuer = await createTestIssuer();
  const app = express().use(authenticate({ issuer: issuer.issuer, audience: 'api://default' }));
  app.get('/messages', requireScope('customScope'), (req, res) => res.json({ client: req.auth?.clientId }));

  await request(app).get('/messages').expect(401);
  await request(app)
    .get('/messages')
    .auth(await issuer.mint({ scp: ['other'] }), { type: 'bearer' })
    .expect(403);
  const ok = await request(app)
    .get('/messages')
    .auth(await issuer.mint({ scp: ['customScope'], cid: 'svc' }), { type: 'bearer' });
  expect(ok.body).toEqual({ client: 'svc' });
  await issuer.close();
});
