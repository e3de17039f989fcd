/** A refusal or failure on the device, with a code the app words (shared/errorMessages.ts). */
export class DeviceError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'DeviceError';
    this.code = code;
  }
}
