import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScopeguardModule } from '@scopeguard/nestjs';
import { HealthController, MessagesController } from './controllers.js';
import { MessageStore } from './messages.js';

/**
 * The API: `ConfigModule` reads `.env` and the environment, `ScopeguardModule.forRootAsync` takes the
 * issuer and audience from `ConfigService`, and guards every route globally (`@Public()` opts out).
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    ScopeguardModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        issuer: config.getOrThrow<string>('SCOPEGUARD_ISSUER'),
        audience: config.getOrThrow<string>('SCOPEGUARD_AUDIENCE'),
        realm: 'nestjs-api',
      }),
      globalGuard: true,
    }),
  ],
  controllers: [HealthController, MessagesController],
  providers: [MessageStore],
})
export class AppModule {}
