import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { validationFailed } from '../common/problem/problem.js';
import type { MessageResponseDto } from '../messages/dto/message-response.dto.js';
import { MessagesService } from '../messages/messages.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { QuotaService } from '../usage/quota.service.js';
import { modelNotAllowed, upstreamError } from './chat.errors.js';
import { contextWindow } from './context-window.js';
import type { ChatDoneEventDto, ChatRequestDto, ChatSessionEventDto } from './dto/chat.dto.js';
import {
  estimatePromptTokens,
  estimateTokens,
  LlmProvider,
  promptTokensUpperBound,
  UpstreamError,
  type LlmMessage,
  type LlmUsage,
} from './providers/llm-provider.js';

const TITLE_FROM_MESSAGE = 60;

/** A turn whose user message is stored: what the client is told first, and what the model will see. */
export interface ChatTurn extends ChatSessionEventDto {
  context: LlmMessage[];
  model: string;
  maxOutputTokens: number;
  /** The model call's reservation (in-flight slot and tokens), released when the reply is stored or fails. */
  reservationId: string;
}

/** The reply, stored; `interrupted` when the client left mid-answer and only the partial reply was kept. */
export type ChatReply = ChatDoneEventDto & { interrupted: boolean };

interface ModelEnd {
  model: string;
  finishReason: string;
  usage: LlmUsage | null;
}

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
   * One transaction on one connection: the user's quota lock and the in-flight cap, the new session (without
   * session_id), the user's message, the context and the reservation of the call's worst-case tokens.
   * Refused by the cap, the quota or the limit, nothing is stored.
   */
  async begin(user: AuthUser, dto: ChatRequestDto): Promise<ChatTurn> {
    const maxLength = this.config.get('CHAT_MESSAGE_MAX_LENGTH', { infer: true });
    if (dto.message.length > maxLength)
      throw validationFailed([{ field: 'message', message: `message must be at most ${maxLength} characters` }]);
    const model = this.allowedModel(dto.model);
    return this.dataSource.transaction(async (tx) => {
      const budget = await this.quota.admitModelCall(tx, user.id);
      const created = dto.session_id
        ? null
        : await this.sessions.create(
            user,
            { title: dto.title ?? dto.message.trim().slice(0, TITLE_FROM_MESSAGE), agent_type: dto.agent_type },
            tx,
          );
      const sessionId = dto.session_id ?? created!.id;
      const userMessage = await this.messages.appendIn(tx, user, sessionId, { role: 'user', content: dto.message });
      const context = await this.context(tx, user, sessionId, userMessage.agent_type);
      const reservation = await this.quota.reserveModelCall(tx, user.id, budget, promptTokensUpperBound(context));
      return {
        session_id: sessionId,
        evicted_session_ids: created?.evicted_session_ids ?? [],
        user_message: userMessage,
        context,
        model,
        maxOutputTokens: reservation.maxOutputTokens,
        reservationId: reservation.id,
      };
    });
  }

  /**
   * Asks the model and stores its reply. `clientGone` aborts the call: the partial reply is kept, marked
   * interrupted. A failing or slow model (LLM_TIMEOUT_MS) is a 502; nothing is invented in its place.
   * However it ends, the turn's reservation is released.
   */
  async reply(user: AuthUser, turn: ChatTurn, clientGone: AbortSignal, onDelta: (content: string) => void): Promise<ChatReply | null> {
    let stored: ChatReply | null = null;
    try {
      const { content, end } = await this.callModel(turn, clientGone, onDelta);
      stored =
        content || end
          ? await this.store(user, turn, content, end ?? { model: turn.model, finishReason: 'interrupted', usage: null })
          : null;
      return stored;
    } finally {
      if (!stored) await this.abandon(user, turn);
    }
  }

  private async callModel(turn: ChatTurn, clientGone: AbortSignal, onDelta: (content: string) => void) {
    const timeoutMs = this.config.get('LLM_TIMEOUT_MS', { infer: true });
    const deadline = AbortSignal.timeout(timeoutMs);
    let content = '';
    let end: ModelEnd | undefined;
    let failure = 'the model provider ended its answer early';
    try {
      const request = { model: turn.model, messages: turn.context, maxOutputTokens: turn.maxOutputTokens };
      for await (const event of this.provider.complete({ ...request, signal: AbortSignal.any([clientGone, deadline]) })) {
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
    // Gone mid-answer: keep what the model already said (the caller stores it as interrupted), if anything.
    if (clientGone.aborted) return { content, end: undefined };
    if (deadline.aborted) throw upstreamError(`no complete answer within ${timeoutMs} ms`);
    if (!end) throw upstreamError(failure);
    return { content, end };
  }

  /** The reply and the end of its reservation commit together: the real usage replaces the reserved tokens. */
  private async store(user: AuthUser, turn: ChatTurn, content: string, end: ModelEnd): Promise<ChatReply> {
    const usage = end.usage ?? { prompt_tokens: estimatePromptTokens(turn.context), completion_tokens: estimateTokens(content) };
    const assistantMessage: MessageResponseDto = await this.dataSource.transaction(async (tx) => {
      const stored = await this.messages.appendIn(
        tx,
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
      await this.quota.releaseModelCall(tx, user.id, turn.reservationId);
      return stored;
    });
    return {
      assistant_message: assistantMessage,
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      interrupted: end.finishReason === 'interrupted',
    };
  }

  /** Releases a turn that will store no reply (the model failed, or the reply could not even start). */
  async abandon(user: AuthUser, turn: ChatTurn): Promise<void> {
    await this.quota
      .releaseModelCall(this.dataSource.manager, user.id, turn.reservationId)
      .catch((error: unknown) => this.logger.warn(`could not release a model call reservation (it expires by itself): ${String(error)}`));
  }

  /** The default model always; others only when LLM_MODELS lists them, so clients cannot pick what the key pays for. */
  private allowedModel(requested: string | undefined): string {
    const fallback = this.provider.defaultModel;
    const allowed = [fallback, ...this.config.get('LLM_MODELS', { infer: true }).filter((model) => model !== fallback)];
    if (requested !== undefined && !allowed.includes(requested)) throw modelNotAllowed(allowed);
    return requested ?? fallback;
  }

  private async context(tx: EntityManager, user: AuthUser, sessionId: string, agentType: string): Promise<LlmMessage[]> {
    const maxMessages = this.config.get('CHAT_CONTEXT_MESSAGES', { infer: true });
    return contextWindow(await this.messages.latest(user, sessionId, maxMessages, tx), {
      systemPrompt: this.config.get('AGENT_SYSTEM_PROMPTS', { infer: true })[agentType],
      maxMessages,
      maxChars: this.config.get('CHAT_CONTEXT_MAX_CHARS', { infer: true }),
      clientSystemMessages: this.config.get('CHAT_CONTEXT_CLIENT_SYSTEM', { infer: true }),
    });
  }
}
