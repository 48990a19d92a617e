/** `scopeguard dev-server --help` (its own module: the command itself loads @scopeguard/testing). */
export const DEV_SERVER_HELP = `Usage: scopeguard dev-server [--port N] [--host 127.0.0.1] [--clients FILE] [options]

Runs the dev authorization server of @scopeguard/testing on its own, until Ctrl-C: the OAuth 2.0 client
credentials grant at ISSUER/v1/token (client_secret_basic, client_secret_post, private_key_jwt), RFC 8414
metadata and a JWKS, Okta-shaped access tokens. It prints its issuer, the environment that configures an
API against it (SCOPEGUARD_ISSUER, SCOPEGUARD_AUDIENCE) and a ready curl for each client, so a team can
develop services with no Okta account. Development only: its keys live in memory and die with it.

Options:
  --port N               port to listen on (default 0: any free port, printed)
  --host HOST            loopback address to listen on: 127.0.0.1 (default), ::1 or localhost
  --clients FILE         the clients, as { "clients": [ { "client_id", "client_secret" or "jwk"/"jwks",
                         "scopes", "token_endpoint_auth_method" } ] } (examples/demo-api/dev-clients.json
                         is one). A private_key_jwt client without a public key is skipped.
  --audience AUD         aud of the tokens (default api://default)
  --alg ALG              signing algorithm: RS256, RS384, RS512, PS256, ES256, ES384, EdDSA (default RS256)
  --profile okta|rfc9068 token shape: okta (cid, scp; default) or rfc9068 (client_id, scope, typ at+jwt)
  --token-lifetime S     token lifetime in seconds (default 3600)
  --no-secrets           print $CLIENT_SECRET in the curl lines instead of the secrets
  --quiet                do not log requests
  --color, --no-color    force colour on or off (default: colour on a TTY; FORCE_COLOR=1, NO_COLOR=1)
  -h, --help             this help

Secrets: each client's curl line carries its client_secret as written in YOUR --clients file (a dev file,
whose secrets must protect nothing; --no-secrets hides them). Without --clients, one client "dev-client"
(client_secret_basic, scope api:read) is registered with a random secret made for this
run and printed. A private_key_jwt client gets a placeholder for its signed client assertion.

Exit codes: 0 stopped by Ctrl-C (SIGINT) or SIGTERM, 2 usage error (bad flag, unreadable clients file).`;
