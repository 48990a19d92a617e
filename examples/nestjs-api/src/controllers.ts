import { BadRequestException, Body, Controller, Get, Inject, Post } from '@nestjs/common';
import { Auth, type AuthInfo, Public, RequireScope } from '@scopeguard/nestjs';
import { MAX_MESSAGE_LENGTH, type Message, MessageStore } from './messages.js';

/** What `GET /api/whoami` answers: the verified client behind the bearer token. */
export interface WhoAmI {
  clientId: string | null;
  subject: string | null;
  scopes: readonly string[];
  /** ISO 8601 expiry of the token. */
  expiresAt: string;
}

@Controller()
export class HealthController {
  /** Public: the global guard skips it. */
  @Get('health')
  @Public()
  health() {
    return { status: 'ok' };
  }
}

/** Every route needs a valid token (the global guard); some need a scope too. */
@Controller('api')
export class MessagesController {
  // `@Inject(MessageStore)` names the dependency, so the app runs with or without `emitDecoratorMetadata`
  // (vitest and tsx compile without it).
  constructor(@Inject(MessageStore) private readonly store: MessageStore) {}

  @Get('messages')
  @RequireScope('customScope')
  list(): { messages: readonly Message[] } {
    return { messages: this.store.list() };
  }

  @Post('messages')
  @RequireScope('messages:write')
  post(@Body() body: { text?: unknown } | undefined, @Auth() auth: AuthInfo): { message: Message } {
    const text = body?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
      throw new BadRequestException({
        error: 'invalid_message',
        error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
      });
    }
    return { message: this.store.add(text.trim(), auth.clientId ?? 'unknown') };
  }

  @Get('whoami')
  whoami(@Auth() auth: AuthInfo): WhoAmI {
    return {
      clientId: auth.clientId ?? null,
      subject: auth.subject ?? null,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt.toISOString(),
    };
  }
}
