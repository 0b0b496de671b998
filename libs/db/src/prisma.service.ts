import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaClient } from './generated/client';

/**
 * The one Prisma client of a process. Repositories receive it; nothing else touches it.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.db.url, max: 20 }) });
  }

  /** Fails loudly at boot when PostgreSQL is unreachable (STYLE 12). */
  async assertReachable(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
