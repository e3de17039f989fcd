import { useId, useState, type DragEvent } from 'react';

import { VIDEO_ACCEPT } from '../../shared/fileKinds';
import { acceptAttribute, formatBytes, formatsText, useLimits } from '../../shared/limits';
import { isTouchScreen } from '../../shared/touch';
import './colorize.css';

interface DropZoneProps {
  onFiles: (files: File[]) => void;
  compact: boolean;
}

function hasFiles(event: DragEvent) {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/** Drop files here, or pick them with the (keyboard-reachable) file input. */
export function DropZone({ onFiles, compact }: DropZoneProps) {
  const [dragging, setDragging] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const limits = useLimits();
  const formats = formatsText(limits);
  const upTo = limits.maxUploadBytes === null ? '' : `, up to ${formatBytes(limits.maxUploadBytes)} each`;
  const touch = isTouchScreen();

  function onDragOver(event: DragEvent) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    const files = Array.from(event.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  }

  return (
    // oxlint-disable-next-line jsx-a11y/no-noninteractive-element-interactions -- dropping is a mouse shortcut: the file input is the keyboard way
    <section
      className={`dropzone${dragging ? ' dropzone--active' : ''}${compact ? ' dropzone--compact' : ''}`}
      aria-label="Add images"
      data-testid="dropzone"
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <svg className="dropzone__icon" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
        <rect x="5" y="9" width="38" height="30" rx="5" fill="none" stroke="currentColor" strokeWidth="2.5" />
        <circle cx="17" cy="20" r="4" fill="currentColor" />
        <path d="M7 35l11-10 8 7 6-5 10 8" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinejoin="round" />
      </svg>
      <p className="dropzone__title">
        {dragging
          ? 'Drop to colorize'
          : touch
            ? 'Choose black-and-white photos or videos'
            : 'Drop black-and-white photos or videos here'}
      </p>
      <input
        id={inputId}
        className="visually-hidden"
        type="file"
        multiple
        accept={`${acceptAttribute(limits)},${VIDEO_ACCEPT}`}
        aria-describedby={hintId}
        // Space opens a file input by itself; Enter does not, though people expect it to (issue 30).
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            event.currentTarget.click();
          }
        }}
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          // Let the same file be chosen again later.
          event.target.value = '';
          if (files.length) onFiles(files);
        }}
      />
      <label htmlFor={inputId} className="button button--primary button--large">
        Choose photos or videos
      </label>
      <p id={hintId} className="dropzone__hint">
        {formats ?? 'Photos'}
        {upTo}; videos as MP4, MOV, MKV, WebM or AVI. Several at once is fine
        {touch ? '.' : '; you can also paste an image.'}
      </p>
    </section>
  );
}
