export * from './db.module';
export * from './prisma.service';
export * from './ids';
export * from './migrate';
export * from './generated/client';
export * from './group-commit';
export * from './hot-sql';
