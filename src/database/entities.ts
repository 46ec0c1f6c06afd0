import { ApiKey } from '../api-keys/api-key.entity.js';
import { Erasure } from '../erasure/erasure.entity.js';
import { RateLimitBucket } from '../common/rate-limit/rate-limit-bucket.entity.js';
import { ChatMessage } from '../messages/message.entity.js';
import { JobLease } from '../retention/job-lease.entity.js';
import { ChatSession } from '../sessions/session.entity.js';
import { ModelCallReservation } from '../usage/model-call-reservation.entity.js';
import { UsageDayTotal } from '../usage/usage-day-total.entity.js';
import { UsageDay } from '../usage/usage-day.entity.js';
import { UsagePeriod } from '../usage/usage-period.entity.js';
import { RefreshToken } from '../users/auth/refresh-token.entity.js';
import { UserEmail } from '../users/user-email.entity.js';
import { UserIdentity } from '../users/user-identity.entity.js';
import { User } from '../users/user.entity.js';

/** Listed by hand: an ESM build has no __dirname for glob patterns. */
export const ENTITIES = [
  User,
  UserEmail,
  UserIdentity,
  RefreshToken,
  ChatSession,
  ChatMessage,
  UsageDay,
  UsageDayTotal,
  UsagePeriod,
  RateLimitBucket,
  ModelCallReservation,
  Erasure,
  JobLease,
  ApiKey,
];
