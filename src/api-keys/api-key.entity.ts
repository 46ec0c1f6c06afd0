import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ApiKeyScope } from '../common/auth/auth-user.js';

/**
 * A service account's API key. Only the SHA-256 digest of the key is stored: the key is 256 random bits, so
 * a fast hash is as safe as a slow one and costs microseconds per request. Revoked keys stay (revoked_at) so
 * the list keeps the audit trail. Not a user's data: admins manage keys for the whole service.
 */
@Entity('api_keys')
@Index('api_keys_created_at_idx', ['createdAt', 'id'])
@Check('api_keys_scopes_check', `scopes <@ ARRAY['act_as_user', 'usage:read']::varchar[] AND cardinality(scopes) > 0`)
export class ApiKey {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'api_keys_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The key's first characters, shown in lists so an operator can tell keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Index('api_keys_key_hash_key', { unique: true })
  @Column({ name: 'key_hash', type: 'bytea' })
  keyHash!: Buffer;

  @Column({ type: 'varchar', length: 32, array: true })
  scopes!: ApiKeyScope[];

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
