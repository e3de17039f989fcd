import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom has no object URLs; the app only passes them to <img src>, so any unique string works.
let objectUrlCounter = 0;
if (!URL.createObjectURL) {
  URL.createObjectURL = () => `blob:test/${++objectUrlCounter}`;
  URL.revokeObjectURL = () => {};
}

afterEach(() => {
  cleanup();
});
