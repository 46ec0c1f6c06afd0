import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** After a replica could not be reached, reads stay on the primary this long before a replica is tried again. */
const REPLICA_RETRY_AFTER_MS = 5000;

/**
 * The one door to the read replicas (DATABASE_READ_URLS). A read that may be a little behind the latest
 * commits (lists, search, usage reports) runs its statements on the manager it is handed; everything else
 * keeps using the primary, since the data source sends nothing to a replica unless asked (`defaultMode:
 * 'master'`). The read holds one replica connection from first statement to last and gets no other, so a
 * request still holds at most one pooled connection at a time. Its statements only read: a read-only
 * transaction (search sets its plan settings in one) is fine on a hot standby; writes do not belong here.
 *
 * Without replicas the read runs on the primary as before. When no replica connection can be made (the
 * replica is down, or its pool cannot hand out a connection in time), the read runs on the primary
 * instead, and so do all reads for REPLICA_RETRY_AFTER_MS: a replica outage costs the primary load, not
 * availability, and a replica that times out is not waited for on every request. Errors once a statement
 * ran on the replica are the read's own and answer like any other (503 when the server went away).
 */
@Injectable()
export class LagTolerantReads {
  private readonly logger = new Logger(LagTolerantReads.name);
  private replicasSkippedUntil = 0;

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(read: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.dataSource.driver.isReplicated || Date.now() < this.replicasSkippedUntil) return read(this.dataSource.manager);
    const replica = this.dataSource.createQueryRunner('slave');
    try {
      await replica.connect();
    } catch (error) {
      await replica.release();
      this.replicasSkippedUntil = Date.now() + REPLICA_RETRY_AFTER_MS;
      this.logger.warn(`read replica unreachable, reading from the primary for ${REPLICA_RETRY_AFTER_MS} ms: ${String(error)}`);
      return read(this.dataSource.manager);
    }
    try {
      return await read(replica.manager);
    } finally {
      await replica.release();
    }
  }
}
