import { Transform } from 'class-transformer';

/** Query strings carry text: "true"/"false" become booleans, anything else stays and fails @IsBoolean. */
export const ToBoolean = () =>
  Transform(({ value }) => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    return value;
  });
