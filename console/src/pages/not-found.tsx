import { useTitle } from '../hooks';
import { href, Link } from '../router';

export function NotFound() {
  useTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no such page in the console. <Link href={href('/')}>Go to the overview</Link>.
      </p>
    </>
  );
}
