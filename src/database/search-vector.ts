/**
 * The text search configuration of chat_messages.search_vector, fixed when the migration runs
 * (SEARCH_LANGUAGE, default english). The migration and the entity both state the column with it, so
 * TypeORM sees the schema it was given. Read from the process environment because migrations run before,
 * and outside, the app's validated config.
 */
export function searchLanguage(): string {
  const language = process.env.SEARCH_LANGUAGE?.trim() || 'english';
  if (!/^[a-z_]+$/.test(language)) throw new Error('SEARCH_LANGUAGE must be a text search configuration name');
  return language;
}

export function searchVectorExpression(): string {
  return `to_tsvector('${searchLanguage()}'::regconfig, content)`;
}
