// Every workflow type Dharma registers; bundled once at build (scripts/bundle-workflows.ts).
export * from './lock/workflow.js';
export * from './change-request/workflow.js';
export * from './doctor/workflow.js';
export * from './provision/workflow.js';
export * from './drift/workflow.js';
export * from './remediation/workflow.js';
