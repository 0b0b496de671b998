import 'reflect-metadata';
import { PrismaService } from '@herald/db';
import { bootstrapWorker } from '@herald/observability';
import { RetentionModule } from './retention.module';

bootstrapWorker('retention', (config) => RetentionModule.forRoot(config), (app) => app.get(PrismaService).assertReachable());
