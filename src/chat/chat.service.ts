import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { validationFailed } from '../common/problem/problem.js';
import type { MessageResponseDto } from '../messages/dto/message-response.dto.js';
import { MessagesService } from '../messages/messages.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { QuotaService } from '../usage/quota.service.js';
import { upstreamError } from './chat.errors.js';
import { contextWindow } from './context-window.js';
import type { ChatDoneEventDto, ChatRequestDto, ChatSessionEventDto } from './dto/chat.dto.js';
import { estimateTokens, LlmProvider, UpstreamError, type LlmMessage, type LlmUsage } from './providers/llm-provider.js';

const TITLE_FROM_MESSAGE = 60;

/** A turn whose user message is stored: what the client is told first, and what the model will see. */
export interface ChatTurn extends ChatSessionEventDto {
  context: LlmMessage[];
  model: string;
}

/** The reply, stored; `interrupted` when the client left mid-answer and only the partial reply was kept. */
export type ChatReply = ChatDoneEventDto & { interrupted: boolean };

@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly messages: MessagesService,
    private readonly quota: QuotaService,
    private readonly provider: LlmProvider,
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /**
   * Stores the user's message before any model call, in one transaction with the quota check and (without
   * session_id) the new session: refused by quota or limit, nothing is stored.
   */
  async begin(user: AuthUser, dto: ChatRequestDto): Promise<ChatTurn> {
    const maxLength = this.config.get('CHAT_MESSAGE_MAX_LENGTH', { infer: true });
    if (dto.message.length > maxLength)
      throw validationFailed([{ field: 'message', message: `message must be at most ${maxLength} characters` }]);
    const stored = await this.dataSource.transaction(async (tx) => {
      if (await this.quota.appliesTo(user.id)) await this.quota.reserve(tx, user.id, 1);
      const created = dto.session_id
        ? null
        : await this.sessions.create(
            user,
            { title: dto.title ?? dto.message.trim().slice(0, TITLE_FROM_MESSAGE), agent_type: dto.agent_type },
            tx,
          );
      const sessionId = dto.session_id ?? created!.id;
      const userMessage = await this.messages.appendIn(tx, user, sessionId, { role: 'user', content: dto.message });
      return { session_id: sessionId, evicted_session_ids: created?.evicted_session_ids ?? [], user_message: userMessage };
    });
    const history = await this.messages.latest(user, stored.session_id, this.config.get('CHAT_CONTEXT_MESSAGES', { infer: true }));
    const context = contextWindow(history, {
      systemPrompt: this.config.get('AGENT_SYSTEM_PROMPTS', { infer: true })[stored.user_message.agent_type],
      maxMessages: this.config.get('CHAT_CONTEXT_MESSAGES', { infer: true }),
      maxChars: this.config.get('CHAT_CONTEXT_MAX_CHARS', { infer: true }),
    });
    return { ...stored, context, model: this.provider.modelFor(dto.model) };
  }

  /**
   * Asks the model and stores its reply. `clientGone` aborts the call: the partial reply is kept, marked
   * interrupted. A failing or slow model (LLM_TIMEOUT_MS) is a 502; nothing is invented in its place.
   */
  async reply(user: AuthUser, turn: ChatTurn, clientGone: AbortSignal, onDelta: (content: string) => void): Promise<ChatReply | null> {
    const deadline = AbortSignal.timeout(this.config.get('LLM_TIMEOUT_MS', { infer: true }));
    let content = '';
    let end: { model: string; finishReason: string; usage: LlmUsage | null } | undefined;
    let failure = 'the model provider ended its answer early';
    try {
      for await (const event of this.provider.complete({
        model: turn.model,
        messages: turn.context,
        signal: AbortSignal.any([clientGone, deadline]),
      })) {
        if (event.type === 'delta') {
          content += event.content;
          onDelta(event.content);
        } else end = event;
      }
    } catch (error) {
      if (!(error instanceof UpstreamError) && !clientGone.aborted && !deadline.aborted) throw error;
      if (error instanceof UpstreamError) {
        failure = error.message;
        this.logger.warn(`model call failed: ${failure}`);
      }
    }
    if (clientGone.aborted) {
      // Keep what the model already said; with nothing said yet there is nothing to keep.
      return content ? this.store(user, turn, content, { model: turn.model, finishReason: 'interrupted', usage: null }) : null;
    }
    if (deadline.aborted) throw upstreamError(`no complete answer within ${this.config.get('LLM_TIMEOUT_MS', { infer: true })} ms`);
    if (!end) throw upstreamError(failure);
    return this.store(user, turn, content, end);
  }

  private async store(
    user: AuthUser,
    turn: ChatTurn,
    content: string,
    end: { model: string; finishReason: string; usage: LlmUsage | null },
  ): Promise<ChatReply> {
    const usage = end.usage ?? {
      prompt_tokens: estimateTokens(turn.context.map((message) => message.content).join('\n')),
      completion_tokens: estimateTokens(content),
    };
    const assistantMessage: MessageResponseDto = await this.messages.appendIn(
      this.dataSource.manager,
      user,
      turn.session_id,
      {
        role: 'assistant',
        content,
        model: end.model,
        metadata: { finish_reason: end.finishReason, ...(end.usage ? {} : { usage_estimated: true }) },
        usage,
      },
      { evenIfInactive: true },
    );
    return {
      assistant_message: assistantMessage,
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      interrupted: end.finishReason === 'interrupted',
    };
  }
}
