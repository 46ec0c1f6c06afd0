import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { MessagesModule } from '../messages/messages.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { EchoProvider } from './providers/echo.provider.js';
import { LlmProvider } from './providers/llm-provider.js';
import { OpenAiProvider } from './providers/openai.provider.js';

type Config = ConfigService<EnvironmentVariables, true>;

/** LLM_PROVIDER → provider. A new provider is a new class and one entry here. */
const PROVIDERS: Record<EnvironmentVariables['LLM_PROVIDER'], (config: Config) => LlmProvider> = {
  echo: () => new EchoProvider(),
  openai: (config) =>
    new OpenAiProvider({
      baseUrl: config.get('LLM_BASE_URL', { infer: true }),
      apiKey: config.get('LLM_API_KEY', { infer: true }),
      model: config.get('LLM_MODEL', { infer: true }) ?? '',
      timeoutMs: config.get('LLM_TIMEOUT_MS', { infer: true }),
    }),
};

@Module({
  imports: [SessionsModule, MessagesModule, UsageModule],
  controllers: [ChatController],
  providers: [
    ChatService,
    {
      provide: LlmProvider,
      inject: [ConfigService],
      useFactory: (config: Config) => PROVIDERS[config.get('LLM_PROVIDER', { infer: true })](config),
    },
  ],
})
export class ChatModule {}
