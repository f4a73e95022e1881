import { IsDefined, Matches, ValidateIf } from 'class-validator';

/** Something besides spaces: names are stored trimmed, and an empty name is no name. */
export function IsNotBlank(): PropertyDecorator {
  return Matches(/\S/, { message: '$property must not be blank' });
}

/**
 * For update inputs: the field may be omitted (it stays as it is) but not set to null, because
 * it cannot be cleared. In place of `@IsOptional()`, which lets null through.
 */
export function IsOmittable(): PropertyDecorator {
  return (target, property) => {
    ValidateIf((_object, value) => value !== undefined)(target, property);
    IsDefined({ message: '$property cannot be cleared: omit it to keep it as it is' })(
      target,
      property,
    );
  };
}
