/** Which files are films (video jobs) rather than photos: one rule for the drop zone, the picker and the app. */
const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi'];

/** A film for a video job (animated GIFs stay photos: their first frame is colorized). */
export function isVideoFile(file: File): boolean {
  if (file.type.startsWith('video/')) return true;
  const dot = file.name.lastIndexOf('.');
  return !file.type && dot >= 0 && VIDEO_EXTENSIONS.includes(file.name.slice(dot).toLowerCase());
}

export const VIDEO_ACCEPT = ['video/*', ...VIDEO_EXTENSIONS].join(',');
