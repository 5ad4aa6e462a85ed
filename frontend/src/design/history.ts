// The pure half of useHistory: a timeline of immutable values and the steps that move along it.
export interface Timeline<T> {
  past: T[];
  present: T;
  future: T[];
  /** The edit the present belongs to (say "conv1.out_channels"): further changes in it amend the same step. */
  group?: string;
}

const LIMIT = 200;

export const start = <T>(present: T): Timeline<T> => ({ past: [], present, future: [] });

/** A new present, the old one undoable; an unchanged value records nothing. With a `group` equal to the
 * present's, the change amends the step that group began (each keystroke of one field edit), not a new one. */
export function record<T>(s: Timeline<T>, next: T, group?: string): Timeline<T> {
  if (next === s.present) return s;
  if (group !== undefined && group === s.group) return { ...s, present: next, future: [] };
  return { past: [...s.past, s.present].slice(-LIMIT), present: next, future: [], group };
}

/** End the present's group (a field loses focus): the next change is a step of its own. */
export const seal = <T>(s: Timeline<T>): Timeline<T> => (s.group === undefined ? s : { ...s, group: undefined });

/** Remember the present as a step without changing it (a drag starts; `replace` then moves it per frame). */
export const checkpoint = <T>(s: Timeline<T>): Timeline<T> =>
  ({ past: [...s.past, s.present].slice(-LIMIT), present: s.present, future: [] });


export const replace = <T>(s: Timeline<T>, present: T): Timeline<T> => (present === s.present ? s : { ...s, present });

export const undo = <T>(s: Timeline<T>): Timeline<T> => s.past.length === 0 ? s
  : { past: s.past.slice(0, -1), present: s.past[s.past.length - 1], future: [s.present, ...s.future] };

export const redo = <T>(s: Timeline<T>): Timeline<T> => s.future.length === 0 ? s
  : { past: [...s.past, s.present], present: s.future[0], future: s.future.slice(1) };
