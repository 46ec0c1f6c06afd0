import { CreateUsersAndAuth1795305600000 } from './1795305600000-CreateUsersAndAuth.js';
import { CreateChatSessions1795305700000 } from './1795305700000-CreateChatSessions.js';
import { CreateChatMessages1795305800000 } from './1795305800000-CreateChatMessages.js';
import { CreateUsage1795305900000 } from './1795305900000-CreateUsage.js';
import { RegisterGeneratedColumns1795306000000 } from './1795306000000-RegisterGeneratedColumns.js';
import { CreateModelCallReservations1795306100000 } from './1795306100000-CreateModelCallReservations.js';
import { KeysCarryTheUser1795306200000 } from './1795306200000-KeysCarryTheUser.js';
import { CreateErasures1795306300000 } from './1795306300000-CreateErasures.js';
import { AddSessionCounters1795306400000 } from './1795306400000-AddSessionCounters.js';
import { SearchIndexes1795306500000 } from './1795306500000-SearchIndexes.js';
import { CreateUsageRollups1795306600000 } from './1795306600000-CreateUsageRollups.js';
import { CreateUserIdentities1795306700000 } from './1795306700000-CreateUserIdentities.js';
import { ExternalUsersMayLackEmail1795306800000 } from './1795306800000-ExternalUsersMayLackEmail.js';
import { CreateApiKeys1795306900000 } from './1795306900000-CreateApiKeys.js';
import { AddRetention1795307000000 } from './1795307000000-AddRetention.js';
import { AllowImportedSessions1795307200000 } from './1795307200000-AllowImportedSessions.js';
import { MetadataFiltersAndDeleteAll1795307300000 } from './1795307300000-MetadataFiltersAndDeleteAll.js';
import { RowLevelSecurity1795307600000 } from './1795307600000-RowLevelSecurity.js';

/** In order. `npm run migration:generate` writes a new file here; add its class to this list. */
export const MIGRATIONS = [
  CreateUsersAndAuth1795305600000,
  CreateChatSessions1795305700000,
  CreateChatMessages1795305800000,
  CreateUsage1795305900000,
  RegisterGeneratedColumns1795306000000,
  CreateModelCallReservations1795306100000,
  KeysCarryTheUser1795306200000,
  CreateErasures1795306300000,
  AddSessionCounters1795306400000,
  SearchIndexes1795306500000,
  CreateUsageRollups1795306600000,
  CreateUserIdentities1795306700000,
  ExternalUsersMayLackEmail1795306800000,
  CreateApiKeys1795306900000,
  AddRetention1795307000000,
  AllowImportedSessions1795307200000,
  MetadataFiltersAndDeleteAll1795307300000,
  RowLevelSecurity1795307600000,
];
