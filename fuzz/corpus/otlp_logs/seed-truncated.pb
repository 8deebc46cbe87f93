
{


service.name