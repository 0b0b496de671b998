import type { PrismaService, Prisma } from '@herald/db';

/** A Prisma client or an open transaction: repositories accept either. */
export type Db = PrismaService | Prisma.TransactionClient;
