import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository, type EntityManager } from 'typeorm';
import { keysetPredicate, Pagination, type PageEnvelope } from '../common/pagination/pagination.js';
import { problem, ProblemException, unauthorized } from '../common/problem/problem.js';
import { escapeLike, isPgError, UNIQUE_VIOLATION } from '../common/sql.js';
import { ErasuresService } from '../erasure/erasures.service.js';
import { PasswordHasher } from './auth/password-hasher.js';
import type { AdminUpdateUserDto, ListUsersQueryDto, UpdateMeDto } from './dto/update-user.dto.js';
import { toAdminUserResponse, type AdminUserResponseDto } from './dto/user-response.dto.js';
import { AdminTakeoverRefused, EMAIL_TAKEN, LAST_ADMIN, userNotFound } from './user.errors.js';
import type { UserRole } from '../common/auth/auth-user.js';
import { LiveAccounts } from '../common/auth/live-accounts.js';
import { UserEmail } from './user-email.entity.js';
import { User } from './user.entity.js';

type UserKey = [string, string];

const isUserKey = (key: unknown): key is UserKey => Array.isArray(key) && key.length === 2 && key.every((part) => typeof part === 'string');

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly pagination: Pagination,
    private readonly erasures: ErasuresService,
    private readonly accounts: LiveAccounts,
  ) {}

  async create(email: string, password: string, displayName: string | null, role: UserRole = 'user'): Promise<User> {
    const user = this.users.create({ email, passwordHash: await this.hasher.hash(password), displayName, avatarUrl: null, role });
    try {
      await this.users.manager.transaction(async (manager) => {
        await manager.insert(User, user);
        await manager.insert(UserEmail, { email, userId: user.id });
      });
    } catch (error) {
      if (isPgError(error, UNIQUE_VIOLATION, 'user_emails_pkey')) throw problem(EMAIL_TAKEN);
      throw error;
    }
    return user;
  }

  /**
   * The one query that reads a password hash. Two single-user statements rather than a join: user_emails
   * is keyed by email and users by id, which a database distributed by user keeps on different nodes.
   */
  async findByEmailWithPassword(email: string): Promise<User | null> {
    const owner = await this.users.manager.findOne(UserEmail, { select: { userId: true }, where: { email } });
    if (!owner) return null;
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id AND u.deleted_at IS NULL', { id: owner.userId })
      .getOne();
  }

  /** An erased account (deleted_at set, its rows still being removed) is found by no read. */
  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id, deletedAt: IsNull() });
  }

  async get(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw userNotFound();
    return user;
  }

  /** The caller's own account; gone means their token outlived the account, so 401 rather than 404. */
  async getSelf(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw unauthorized('This account no longer exists.');
    return user;
  }

  async updateProfile(id: string, dto: UpdateMeDto): Promise<User> {
    const patch: Partial<User> = {};
    if (dto.display_name !== undefined) patch.displayName = dto.display_name;
    if (dto.avatar_url !== undefined) patch.avatarUrl = dto.avatar_url;
    if (Object.keys(patch).length > 0) await this.users.update({ id, deletedAt: IsNull() }, patch);
    return this.getSelf(id);
  }

  async adminUpdate(id: string, dto: AdminUpdateUserDto): Promise<User> {
    const patch: Partial<User> = {};
    if (dto.role !== undefined) patch.role = dto.role;
    if (dto.daily_token_limit !== undefined) patch.dailyTokenLimit = dto.daily_token_limit;
    if (dto.daily_message_limit !== undefined) patch.dailyMessageLimit = dto.daily_message_limit;
    if (Object.keys(patch).length === 0) return this.get(id);
    await this.users.manager.transaction(async (manager) => {
      if (patch.role === 'user') await this.keepAnAdmin(manager, id);
      await manager.update(User, { id, deletedAt: IsNull() }, patch);
    });
    return this.get(id);
  }

  /**
   * Erases the user, whatever they own: the tombstone hides the account from every read at once (its
   * tokens open nothing, its email is free again), and the erasure worker deletes its sessions, messages,
   * usage and tokens in batches, then the row itself.
   */
  async remove(id: string): Promise<void> {
    await this.users.manager.transaction(async (manager) => {
      await this.keepAnAdmin(manager, id);
      const [, affected] = (await manager.query(
        'UPDATE users SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
        [id],
      )) as [unknown, number];
      if (!affected) throw userNotFound();
      // The email is free to register again at once (user_emails holds its uniqueness).
      await manager.delete(UserEmail, { userId: id });
      await this.erasures.queueUser(manager, id);
    });
    this.accounts.forget(id);
    this.erasures.started();
  }

  /**
   * Refuses (409 last_admin) to take the admin role from `id` if it is the only admin. Locking every admin's
   * row (in id order) serialises such changes: of two admins demoting each other at once, the second sees
   * the first's change when its lock is granted, and is refused.
   */
  private async keepAnAdmin(manager: EntityManager, id: string): Promise<void> {
    // Only an admin's change reads across users; anyone else's stays on their own row.
    const [self] = (await manager.query('SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL', [id])) as { role: UserRole }[];
    if (self?.role !== 'admin') return;
    const admins = (await manager.query(
      `SELECT id FROM users WHERE role = 'admin' AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE`,
    )) as { id: string }[];
    if (admins.length <= 1 && admins.some((admin) => admin.id === id)) throw problem(LAST_ADMIN);
  }

  /**
   * Creates the configured admin, or promotes the existing account with that email only if ADMIN_PASSWORD
   * is its password (`resetPassword`, from `admin:create --force`, sets it first). Otherwise whoever
   * registered that email first would become admin with their own password.
   */
  async ensureAdmin(email: string, password: string, { resetPassword = false } = {}): Promise<'created' | 'promoted' | 'unchanged'> {
    const normalised = email.trim().toLowerCase();
    let existing = await this.findByEmailWithPassword(normalised);
    if (!existing) {
      try {
        await this.create(normalised, password, null, 'admin');
        return 'created';
      } catch (error) {
        if (!(error instanceof ProblemException && error.getStatus() === HttpStatus.CONFLICT)) throw error;
        existing = (await this.findByEmailWithPassword(normalised))!;
      }
    }
    if (resetPassword) {
      await this.users.update({ id: existing.id }, { passwordHash: await this.hasher.hash(password), role: 'admin' });
      return 'promoted';
    }
    if (existing.role === 'admin') return 'unchanged';
    if (!(await this.hasher.verify(password, existing.passwordHash))) throw new AdminTakeoverRefused(normalised);
    await this.users.update({ id: existing.id }, { role: 'admin' });
    return 'promoted';
  }

  async list(query: ListUsersQueryDto): Promise<PageEnvelope<AdminUserResponseDto>> {
    const search = query.search?.trim().toLowerCase() ?? '';
    const scope = JSON.stringify(['users', search]);
    const paging = this.pagination.resolve(query, this.pagination.configuredLimits, scope, isUserKey);
    const filtered = this.users.createQueryBuilder('u').where('u.deleted_at IS NULL');
    if (search) filtered.andWhere(`u.email LIKE :pattern`, { pattern: `%${escapeLike(search)}%` });
    const total = await filtered.clone().getCount();

    const page = filtered
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .limit(paging.size + 1);
    if (paging.mode === 'page') page.offset(paging.offset);
    else {
      const keyset = keysetPredicate(['u.created_at', 'u.id'], 'desc', paging.after);
      page.andWhere(keyset.sql, keyset.params);
    }
    const rows = await page.getMany();
    return this.pagination.envelope(rows, paging, total, scope, (u): UserKey => [u.createdAt.toISOString(), u.id], toAdminUserResponse);
  }
}
