import { Flags } from '@oclif/core';

/** `-p PORT`, repeatable; one value per flag, so `-p 8080 CMD` does not take CMD for a second port. */
export const portFlag = Flags.integer({
  char: 'p', description: 'Forward localhost:PORT here to localhost:PORT on the head (repeatable).', helpValue: 'PORT',
  multiple: true, multipleNonGreedy: true, min: 1, max: 65535,
});
