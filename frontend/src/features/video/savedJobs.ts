/** The page's video jobs, kept in localStorage so they survive a reload (ids only: the server has the rest). */
export interface SavedJob {
  id: string;
  filename: string;
  size: number;
}

const KEY = 'colorizer.videoJobs';

export function loadSavedJobs(): SavedJob[] {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(saved)) return [];
    return saved.filter(
      (job): job is SavedJob =>
        typeof job === 'object' && job !== null && typeof job.id === 'string' && typeof job.filename === 'string',
    );
  } catch {
    return [];
  }
}

export function saveJobs(jobs: SavedJob[]): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(jobs));
  } catch {
    // Private browsing or a full storage: the jobs just will not survive a reload.
  }
}
