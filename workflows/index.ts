// Every workflow type Dharma registers; bundled once at build (scripts/bundle-workflows.ts).
