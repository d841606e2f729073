/**
 * Progress of a long wait. On a terminal a spinner line is redrawn in place; otherwise (CI, pipes) each
 * new status is printed once as a plain line, so logs stay readable.
 */
export interface Progress {
  update(text: string): void;
  /** A line that stays (e.g. how to approve), printed above the moving status. */
  note(text: string): void;
  /** Ends the progress line and prints a final message. */
  done(text?: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let last = '';
  if (!stream.isTTY) {
    return {
      update(text) {
        if (text !== last) stream.write(`${text}\n`);
        last = text;
      },
      note(text) {
        stream.write(`${text}\n`);
      },
      done(text) {
        if (text) stream.write(`${text}\n`);
      },
    };
  }
  let frame = 0;
  const draw = () => {
    stream.write(`\r\x1b[2K${FRAMES[frame % FRAMES.length] ?? ''} ${last}`);
    frame += 1;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    update(text) {
      last = text;
      draw();
    },
    note(text) {
      stream.write(`\r\x1b[2K${text}\n`);
      draw();
    },
    done(text) {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
      if (text) stream.write(`${text}\n`);
    },
  };
}
