// The frontend's layers (issue 31), checked by `npm run lint:deps` (scripts/lint.sh):
// App.tsx composes the features; each feature (src/features/<name>/) imports only
// itself, src/shared/ and src/api/; shared code and the API module import no feature.
// src/layers.test.ts shows each rule failing on a deliberate bad import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'feature-imports-another-feature',
      comment:
        'A feature uses shared code (src/shared/, src/api/), never another feature: move what both need to src/shared/.',
      severity: 'error',
      from: { path: '^src/features/([^/]+)/' },
      to: { path: '^src/features/', pathNot: '^src/features/$1/' },
    },
    {
      name: 'shared-imports-a-feature',
      comment: 'src/shared/ and src/api/ sit below the features: they may not import one.',
      severity: 'error',
      from: { path: '^src/(shared|api)/' },
      to: { path: '^src/features/' },
    },
    {
      name: 'imports-the-app',
      comment: 'App.tsx composes the features; only tests (which render the whole app) import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['\\.test\\.tsx?$', '^src/main\\.tsx$'] },
      to: { path: '^src/App\\.tsx$' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles hide which module is below which.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
  },
};
