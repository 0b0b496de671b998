import { ConflictError, NotFoundError } from '@herald/tenancy';
import { Prisma } from '@herald/db';

function prismaCode(err: unknown): string | undefined {
  return err instanceof Prisma.PrismaClientKnownRequestError ? err.code : undefined;
}

/**
 * Runs a write and turns Prisma's "unique constraint" (P2002) into a 409 with `duplicate`,
 * and "record to update not found" (P2025, a concurrent delete) into a 404 for `what`.
 */
export async function mapWriteErrors<T>(what: string, duplicate: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = prismaCode(err);
    if (code === 'P2002') throw new ConflictError(duplicate);
    if (code === 'P2025') throw new NotFoundError(what);
    throw err;
  }
}
