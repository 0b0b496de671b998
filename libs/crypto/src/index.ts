export * from './envelope';
export * from './key-ring';
