// Written by scripts/openapi.sh from docs/openapi/gateway.json: do not edit. The colorize options
// (model/options.py, the one declaration) as values: the defaults and ranges the API states.
export const COLORIZE_OPTIONS = {
  render_size: {
    minimum: 64,
    maximum: 1024,
  },
  format: {
    default: 'png',
    choices: ['png', 'jpeg', 'webp', 'jpg'],
  },
  quality: {
    default: 90,
    minimum: 1,
    maximum: 100,
  },
  vibrance: {
    default: 1,
    minimum: 0,
    maximum: 2,
  },
} as const;
